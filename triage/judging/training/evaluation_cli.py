"""``triage eval`` on the terminal: the report as tables, or as JSON."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from triage.judging.training.evaluation import LABELS, EvalReport, evaluate, load_eval_file

SUMMARY = (
    "accuracy",
    "macro_f1",
    "auto_send_rate",
    "unsafe_auto_send_rate",
    "routine_coverage",
    "wrong_answer_rate",
    "answer_coverage",
)


def render_report(report: EvalReport, console: Console, show_unsafe: bool = False) -> None:
    columns = ["metric", "all", *report.per_source]
    summary = Table(*columns, title=f"triage eval ({report.n} messages)")
    parts = [report, *report.per_source.values()]
    summary.add_row("messages", *(str(p.n) for p in parts))
    for name in SUMMARY:
        summary.add_row(name, *(f"{getattr(p, name):.3f}" for p in parts))
    summary.add_row("unsafe auto-sends", *(str(p.unsafe_auto_sends) for p in parts))
    summary.add_row("  of them closed with no reply", *(str(p.unsafe_closings) for p in parts))
    summary.add_row("closed with no reply", *(str(p.closed_no_reply) for p in parts))
    summary.add_row("wrong answers", *(str(p.wrong_answers) for p in parts))
    console.print(summary)
    classes = Table("class", "precision", "recall", "f1", "support")
    for label, c in report.per_class.items():
        classes.add_row(label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support))
    console.print(classes)
    for name, part in [("all", report), *report.per_source.items()]:
        bands = Table("confidence", "messages", "right", title=f"calibration: {name}")
        for band, figures in part.calibration.items():
            bands.add_row(band, str(figures.n), f"{figures.accuracy:.2f}")
        console.print(bands)
        matrix = Table("true \\ predicted", *LABELS, title=f"confusion: {name}")
        for label in LABELS:
            matrix.add_row(label, *(str(part.confusion[label][p]) for p in LABELS))
        console.print(matrix)
    if show_unsafe:
        unsafe = Table(
            "id",
            "source",
            "true",
            "predicted",
            "conf",
            "article",
            "score",
            "why it went out",
            title=f"unsafe auto-sends, closings and wrong answers ({len(report.unsafe)})",
        )
        for u in report.unsafe:
            article = u.article_id or ""
            if u.expected is not None:
                article = f"{article} (wrong: {', '.join(u.expected) or 'no article answers it'})"
            unsafe.add_row(
                u.id,
                u.source or "",
                u.label,
                u.predicted,
                f"{u.confidence:.2f}",
                article,
                f"{u.score:.2f}" if u.score is not None else "",
                "; ".join(u.passed),
            )
        console.print(unsafe)


def run_eval_command(path: Path, provider_name: str, as_json: bool, show_unsafe: bool = False) -> int:
    from triage.judging.factory import build_provider
    from triage.runtime.config import get_settings

    settings = get_settings()
    console = Console(stderr=as_json)
    rows = load_eval_file(path)
    provider = build_provider(settings, provider_name)
    policy = settings.policy_settings()

    async def main() -> EvalReport:
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("classifying", total=len(rows))
                # As many at once as the worker would send: more only queue at a self-hosted server.
                return await evaluate(
                    rows, provider, policy, lambda: bar.advance(task), settings.llm_concurrency
                )
        finally:
            await provider.aclose()

    result = asyncio.run(main())
    render_report(result, console, show_unsafe)
    if as_json:
        # The summary's figures and the counts behind them (the JSON follows EvalReport's field order).
        keys: tuple[str, ...] = (
            *SUMMARY,
            "n",
            "unsafe_auto_sends",
            "closed_no_reply",
            "unsafe_closings",
            "wrong_answers",
            "confusion",
            "calibration",
            "per_source",
        )
        if show_unsafe:
            keys += ("unsafe",)
        print(json.dumps(result.model_dump(mode="json", include=set(keys))))
    return 0
