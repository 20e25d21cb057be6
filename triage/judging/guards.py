"""Guard flags: cheap, provider-independent reasons a human must see a message.

Pure pattern matching over normalised text (invisible characters removed,
spacing collapsed), so hidden tricks like zero-width joiners inside
"ig\u200bnore" do not slip through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from triage.domain.models import GuardFlag
from triage.domain.text import clean_invisible
from triage.judging.situation import read_situation

TOO_LONG_CHARS = 20_000
MIN_WORDS = 2


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_PATTERNS: dict[GuardFlag, re.Pattern[str]] = {
    GuardFlag.PROMPT_INJECTION: _any(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|earlier|your)\b.{0,30}\b(instructions?|prompts?|rules|directions)",
        r"\byou are now\b",
        r"\bsystem prompt\b",
        r"\b(act|pretend) as\b.{0,40}\b(admin|administrator|developer|system|assistant|ai)\b",
        r"\b(admin|developer|god|jailbreak|dan) mode\b",
        r"\bnew instructions?\s*:",
        r"\bignoriere?\b.{0,40}\b(anweisungen|vorherigen)",
        r"\bignore[zr]?\b.{0,40}\binstructions\b",
        r"\bignora\b.{0,40}\binstrucciones\b",
        r"\b(reveal|print|show)\b.{0,30}\b(system prompt|your instructions|hidden prompt)",
        r"</?(email|system|instructions?)>",
    ),
    GuardFlag.MONEY: _any(
        r"\brefunds?\b|\brefunded\b|\breimburse",
        r"\bcharge ?backs?\b|\bdispute[sd]?\b.{0,20}\b(charge|payment|transaction)",
        r"\b(double|twice|over)[- ]?charged\b|\bcharged (me )?twice\b|\bunauthori[sz]ed (charge|payment)",
        r"\bmoney back\b|\bcompensation\b|\bcredit (note|back)\b",
        r"[$€£]\s?\d|\b\d+(?:[.,]\d+)?\s?(usd|eur|gbp|dollars?|euros?)\b|\d\s?[$€£]",
        r"\b(cancel(lation)?|termination|exit|early|late|hidden|extra|service) (fee|charge|penalty)s?\b",
        r"\brückerstattung\b|\bremboursement\b|\breembolso\b|\breembolsar\b",
    ),
    GuardFlag.LEGAL: _any(
        r"\blawyers?\b|\battorneys?\b|\blaw ?suit\b|\bsue\b|\bsuing\b|\blegal action\b|\bcourt\b",
        r"\bsmall claims\b|\bconsumer protection\b|\bregulator\b",
        r"\bgdpr\b.{0,40}\b(request|complaint|article)\b|\bdata subject (access )?request\b",
        r"\banwalt\b|\bklage\b|\bavocat\b|\babogado\b|\bdemanda\b",
    ),
    GuardFlag.NEGATIVE_SENTIMENT: _any(
        r"\bunacceptable\b|\bridiculous\b|\boutrageous\b|\bdisgusting\b|\bworst\b|\bscam\b|\bfraud\b",
        r"\bfurious\b|\bangry\b|\bfed up\b|\bsick of\b|\bterrible service\b|\bawful\b",
        r"\bcancel(ling)? (everything|my account) (now|immediately)\b",
        r"\b(wtf|damn|crap)\b",
        r"\bunverschämt\b|\binakzeptabel\b|\binadmissible\b|\binaceptable\b",
    ),
    GuardFlag.URGENT: _any(
        r"\burgent(ly)?\b|\basap\b|\bimmediately\b|\bemergency\b|\bcritical\b",
        r"\b(production|prod|site|everything) (is )?down\b|\boutage\b",
        r"\bdringend\b|\burgente?\b",
    ),
    GuardFlag.SECURITY: _any(
        r"\bhack(ed|er|ing)?\b|\bbreach(ed)?\b|\bvulnerabilit(y|ies)\b|\bexploit\b|\bphishing\b",
        r"\bunauthori[sz]ed (access|login)\b|\b(leaked|stolen|compromised) (password|account|credentials|data|api key)",
        r"\bsomeone (else )?(logged|got) into my account\b|\bxss\b|\bsql injection\b|\bcve-\d",
        r"\bsuspicious\b|\b(wasn'?t|was not|not) me\b|\bi did(n'?t| not) (do|make|request) (this|that|it)\b",
        r"\b(log ?ins?|sign[- ]?ins?|logins?|access(es)?) (from|in) (an? )?(unknown|unfamiliar|strange|new|another|different|foreign)\b",
        r"\bsomeone (else )?(has |had )?(accessed|changed|used|logged|signed|entered|got into|is using|reset)\b|\btaken over\b|\btakeover\b",
        r"\bgehackt\b|\bverdächtig|\bnicht ich\b|\bpiraté|\bsuspect|\bpas moi\b|\bhacke(ad|at)[oa]\b|\bsospechos|\bno fui yo\b",
        r"\bdesconocid[oa]s?\b.{0,40}\b(sesión|acceso)|\b(sesión|acceso|inicios? de sesión)\b.{0,60}\b(desconocid|nunca he estado)",
        r"\bleak(ed|s)?\b|\bnever (asked|requested) for\b|\bsomeone (is )?trying to (get|log|sign|access|break)\b",
        r"\bsomeone (has )?(added|created|invited|removed|deleted)\b.{0,60}\b(nobody|no one|none of us|not me|wasn'?t me)\b",
        r"\bno he sido yo\b|\balguien ha (cambiado|entrado|accedido)\b|\bnon ero io\b|\bnão fui eu\b|\bnao fui eu\b",
        r"\bqualcuno è entrato\b|\bhackerat|\bnão fui eu\b|\binvadid[ao]\b|\bniet ik\b|\bgehackt\b",
    ),
    GuardFlag.DATA_LOSS: _any(
        r"\bdata loss\b|\blost (all )?(my |our )?(data|files|projects|tickets|work)\b",
        r"\b(deleted|wiped|erased) (all|everything|my|our)\b|\bcorrupt(ed|ion)\b",
        r"\bdisappeared\b.{0,30}\b(data|files|projects|tickets)\b|\b(data|files|projects|tickets)\b.{0,30}\b(disappeared|vanished|gone)\b",
        r"\bdatenverlust\b|\bperte de données\b",
    ),
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
