"""Guard flags: cheap, provider-independent reasons a human must see a message.

Pure pattern matching over normalised text (invisible characters removed,
spacing collapsed), so hidden tricks like zero-width joiners inside
"ig\u200bnore" do not slip through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from triage.domain.languages import Guards, packs, shared
from triage.domain.models import GuardFlag
from triage.domain.text import clean_invisible
from triage.judging.situation import read_situation

TOO_LONG_CHARS = 20_000
MIN_WORDS = 2


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Each language pack's guards.toml, and the phrases written across languages
# (triage/languages/guards.toml): one table per flag, only tested for a match.
_PHRASES = [Guards.model_validate(shared("guards")), *(found.guards for found in packs())]
_PATTERNS: dict[GuardFlag, re.Pattern[str]] = {
    flag: _any(*(p for phrases in _PHRASES for p in getattr(phrases, flag.value)))
    for flag in GuardFlag
    if flag.value in Guards.model_fields
}

# Code, stack traces and logs: a template or KB answer cannot address them.
_TECHNICAL = re.compile(
    "|".join(
        (
            r"```",  # a fenced code block
            r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+",  # Python
            r"^\s*at [\w$.<>/]+\s*\(.*:\d+(:\d+)?\)\s*$",  # Java / JavaScript stack frames
            r"\bException in thread\b|\bpanicked at\b|\bgoroutine \d+ \[|\bSegmentation fault\b|\bcore dumped\b",
            r"^npm ERR!|^error(\[E\d+\])?: |^\s*--> \S+:\d+:\d+",  # npm, rustc
            r"(^.*\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}.*$\n?){3}",  # three timestamped log lines
        )
    ),
    re.MULTILINE,
)

_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")


def _normalise(text: str) -> str:
    return " ".join(clean_invisible(text).split())


class Inspection(NamedTuple):
    flags: list[GuardFlag]
    evidence: list[str]  # what raised the situation flags, for the reviewer


def inspect_message(subject: str, body: str, body_chars: int | None = None) -> Inspection:
    flags, evidence = _inspect(subject or "", body or "", body_chars)
    return Inspection(list(flags), list(evidence))


# Judging one message inspects it twice (the checks, and the provider's own guard flags).
@lru_cache(maxsize=64)
def _inspect(
    subject: str, body: str, body_chars: int | None
) -> tuple[tuple[GuardFlag, ...], tuple[str, ...]]:
    text = _normalise(f"{subject or ''}\n{body or ''}")
    flags = {flag for flag, pattern in _PATTERNS.items() if pattern.search(text)}
    findings = read_situation(subject, body)
    flags.update(finding.flag for finding in findings)
    # Line structure matters for code and logs: match those on the text as written.
    if _TECHNICAL.search(clean_invisible(body or "")):
        flags.add(GuardFlag.TECHNICAL)
    shouted = _SHOUTING.findall(body or "")
    if len(shouted) >= 5 and len(shouted) * 4 > len((body or "").split()):
        flags.add(GuardFlag.NEGATIVE_SENTIMENT)
    length = body_chars if body_chars is not None else len(body or "")
    if length > TOO_LONG_CHARS:
        flags.add(GuardFlag.TOO_LONG)
    if len(re.findall(r"\w+", text)) < MIN_WORDS:
        flags.add(GuardFlag.EMPTY)
    return tuple(sorted(flags)), tuple(f"{f.flag.value} ({f.describe()})" for f in findings)


def detect_guard_flags(subject: str, body: str, body_chars: int | None = None) -> list[GuardFlag]:
    return inspect_message(subject, body, body_chars).flags
