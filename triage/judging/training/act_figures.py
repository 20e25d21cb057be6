"""The act figures of a table, through the wired verdict (``judge_message_act``).

    python -m triage.judging.training.act_figures FILE [--json] [--mistakes]

FILE is JSON Lines, one message a line: ``text`` (or ``body``, with an
optional ``subject``), ``act`` (a ``MessageAct`` value, or its short name) and ``lang``. Every
row is read as a reply in a thread ("Re: ..."), where closings matter. Per
act: how often it is read as that act; per language: the aims of issue 20 —
closings that close with no reply, "thanks, but it still fails" that never
closes, instructions to the assistant flagged ``prompt_injection``, problem
reports never read as a closing or a withdrawal.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from triage.domain.models import GuardFlag, InboundMessage, MessageAct
from triage.judging.checked import judge_message_act
from triage.judging.guards import inspect_message

REPORTS = (MessageAct.REPORTS_PROBLEM, MessageAct.DISPUTES_CHARGE)
# The separately written table (checks/acts-independent.jsonl) names the acts in short.
SHORT_NAMES: dict[str, MessageAct] = {
    "how_to": MessageAct.ASKS_HOW,
    "problem": MessageAct.REPORTS_PROBLEM,
    "dispute": MessageAct.DISPUTES_CHARGE,
    "data_request": MessageAct.DATA_REQUEST,
    "closing": MessageAct.CLOSES,
    "withdrawal": MessageAct.WITHDRAWS,
    "change": MessageAct.CHANGES_REQUEST,
    "injection": MessageAct.INSTRUCTS_ASSISTANT,
}


def _rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append(
                {
                    "subject": row.get("subject") or "Re: your question",
                    "text": row.get("text") or row.get("body") or "",
                    "act": SHORT_NAMES.get(row["act"]) or MessageAct(row["act"]),
                    "lang": row.get("lang") or row.get("language") or "?",
                }
            )
    return rows


def measure(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    mistakes = []
    for row in _rows(path):
        message = InboundMessage(
            message_id="m",
            inbox_id="i",
            from_address="a@example.org",
            reply_address="a@example.org",
            subject=row["subject"],
            plain_body=row["text"],
            body_chars=len(row["text"]),
        )
        inspection = inspect_message(message.subject, message.plain_body)
        verdict = judge_message_act(message, inspection.flags)
        flags = {*inspection.flags, *verdict.flags}
        act, lang = row["act"], row["lang"]
        checks = {f"act {act.value} read as such": verdict.act is act}
        if act is MessageAct.CLOSES:
            checks["closings that close"] = verdict.closing
        if act is MessageAct.INSTRUCTS_ASSISTANT:
            checks["instructions flagged prompt_injection"] = GuardFlag.PROMPT_INJECTION in flags
        if act in REPORTS:
            checks["reports neither closing nor withdrawn"] = not verdict.closing and verdict.act not in (
                MessageAct.CLOSES,
                MessageAct.WITHDRAWS,
            )
            checks["reports held (a report flag)"] = bool(flags & {GuardFlag.PROBLEM_REPORT, GuardFlag.MONEY})
        for name, ok in checks.items():
            for scope in (lang, "all"):
                counts[name][scope][0] += ok
                counts[name][scope][1] += 1
            if not ok:
                mistakes.append(
                    {
                        "check": name,
                        "lang": lang,
                        "read": verdict.act and verdict.act.value,
                        "closing": verdict.closing,
                        "text": row["text"][:160],
                    }
                )
    figures = {
        name: {scope: {"ok": ok, "n": n, "rate": round(ok / n, 3)} for scope, (ok, n) in sorted(by.items())}
        for name, by in sorted(counts.items())
    }
    return figures, mistakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--mistakes", action="store_true", help="list every row a check got wrong")
    args = parser.parse_args()
    figures, mistakes = measure(args.file)
    if args.json:
        print(
            json.dumps(
                {"figures": figures, "mistakes": mistakes if args.mistakes else len(mistakes)}, indent=1
            )
        )
        return
    for name, by in figures.items():
        cells = "  ".join(f"{scope} {v['ok']}/{v['n']} ({v['rate']:.0%})" for scope, v in by.items())
        print(f"{name}: {cells}")
    if args.mistakes:
        for m in mistakes:
            print(f"  [{m['lang']}] {m['check']}: read {m['read']}, closing={m['closing']}: {m['text']!r}")


if __name__ == "__main__":
    main()
