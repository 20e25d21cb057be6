"""The customer's situation: asking how to do something, or telling us that it failed?

A canned help-centre answer fits a question about how something works. It is
the wrong reply to a customer who reports that it did not work ("I reset my
password twice and the email never arrives, even in spam"), who writes for the
third time, who disputes a charge, whose account someone else got into, or whose
request carries legal weight (erase my personal data). Those are recognised here, in the
language of every language pack (its ``situation.toml``; ``triage.domain.languages``) and
the commonest phrases of Italian, Portuguese and Dutch, however politely they are
phrased, and each becomes a guard flag with the words that raised it, so the
reviewer sees why.

Sentence by sentence: a problem phrase inside a hypothetical question ("what
happens if a payment fails?", "que faire si le lien a expiré ?") is routine; the
same phrase in a statement ("the payment failed") is a report. Matching runs on
lower-cased text with accents removed, so the patterns are written
without accents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from triage.domain.languages import Situation as SituationPhrases
from triage.domain.languages import packs, shared
from triage.domain.models import GuardFlag
from triage.domain.text import clean_invisible, normalize_body, split_sentences


class Situation(StrEnum):
    FAILURE = "failure"  # something failed, is missing, wrong, blocked or gone
    REPEAT = "repeat"  # a follow-up, a repeat contact, a fix that did not hold
    DISPUTE = "dispute"  # contests a charge, a statement or a decision
    PRIVACY = "privacy"  # a data-protection request: erasure, access, portability
    WITHDRAWAL = "withdrawal"  # the customer takes the question back: "never mind, I found it"
    TAKEOVER = "takeover"  # someone else got into the account: a how-to is the wrong reply


FLAG_OF: dict[Situation, GuardFlag] = {
    Situation.FAILURE: GuardFlag.PROBLEM_REPORT,
    Situation.REPEAT: GuardFlag.PROBLEM_REPORT,
    Situation.DISPUTE: GuardFlag.PROBLEM_REPORT,
    Situation.PRIVACY: GuardFlag.PRIVACY,
    Situation.WITHDRAWAL: GuardFlag.WITHDRAWN,
    Situation.TAKEOVER: GuardFlag.SECURITY,
}


@dataclass(frozen=True)
class Finding:
    situation: Situation
    evidence: str  # the words that raised it (letters, digits and spaces only)

    @property
    def flag(self) -> GuardFlag:
        return FLAG_OF[self.situation]

    def describe(self) -> str:
        return f'{self.situation.value}: "{self.evidence}"'


# The phrases: the tables read across languages (triage/languages/situation.toml), then
# each language pack's situation.toml, in the packs' order (``triage.domain.languages``).
_ACROSS = SituationPhrases.model_validate(shared("situation"))


def _table(name: str) -> list[str]:
    """One table: its lines written across languages, then every pack's."""
    return [*_ACROSS.table(name), *(line for found in packs() for line in found.situation.table(name))]


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_RULES: list[tuple[Situation, re.Pattern[str]]] = [
    (Situation.PRIVACY, _compile(_table("privacy"))),
    (Situation.TAKEOVER, _compile(_table("takeover"))),
    (Situation.WITHDRAWAL, _compile(_table("withdrawal"))),
    (Situation.DISPUTE, _compile(_table("dispute"))),
    (Situation.REPEAT, _compile(_table("repeat"))),
    (Situation.FAILURE, _compile([*_table("failure"), *_table("other_failure"), *_table("asks_why")])),
]
_HYPOTHETICAL = _compile([p.situation.hypothetical for p in packs() if p.situation.hypothetical])
_STATEMENT_RULES: list[tuple[Situation, re.Pattern[str]]] = [
    (Situation.REPEAT, _compile(_table("statement_repeat"))),
    (Situation.FAILURE, _compile(_table("statement_failure"))),
]
_BENIGN = [re.compile(p) for p in [*_table("benign"), *_table("good_news")]]
_QUESTION = re.compile(rf"\?\s*$|^(?:{'|'.join(_table('question_words'))})\b")
# A question asked with a question word or an auxiliary ("do you still ...?"), not a
# statement with a tag ("the invoice still adds VAT, why?").
_ASKS = re.compile(
    rf"^(?:[\w ]{{0,20}}: )?(?:{'|'.join([*_table('question_words'), *_table('asking_words')])})\b"
)
_NEVER_HYPOTHETICAL = re.compile(
    rf"^(?:{'|'.join(_table('why_words'))})\b(?! (?:would|might|could|should)\b)"
)
# Read in questions too: "can you delete all my personal data?" is still the request.
_ALWAYS = {Situation.PRIVACY, Situation.TAKEOVER}
_ASKS_WHY = _compile(_table("asks_why"))
_EVIDENCE_CHARS = 60
# "Re:", "AW:", "TR:": each pack's reply_prefixes (pack.toml), and those of languages without one.
_PREFIXES = [
    *shared("detection")["reply_prefixes"],
    *(p for found in packs() for p in found.info.reply_prefixes),
]
_REPLY_SUBJECT = re.compile(rf"^\s*(?:(?:{'|'.join(_PREFIXES)})\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def strip_reply_prefix(subject: str) -> str:
    """The subject without its "Re:", "AW:", "Fwd:" prefixes."""
    return _REPLY_SUBJECT.sub("", subject or "")


def plain(text: str) -> str:
    """Lower case, accents and invisible characters removed, apostrophes unified."""
    decomposed = unicodedata.normalize("NFKD", clean_invisible(text).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    unified = stripped.replace("’", "'").replace("`", "'")
    # Quotation marks go ('it says "token expired"'); apostrophes inside words stay.
    return re.sub(r"[\"“”„«»]|(?<!\w)'|'(?!\w)", " ", unified)


def sentences(text: str) -> list[str]:
    return split_sentences(plain(text))


def _evidence(sentence: str, match: re.Match[str]) -> str:
    words = re.sub(r"[^\w\s'-]", " ", match.group(0))
    return " ".join(words.split())[:_EVIDENCE_CHARS]


def _hypothetical(sentence: str, match: re.Match[str]) -> bool:
    """A problem phrase in a question, after an "if"/"what happens": not a report."""
    if not _QUESTION.search(sentence) or _NEVER_HYPOTHETICAL.search(sentence) or _ASKS_WHY.search(sentence):
        return False
    conditional = _HYPOTHETICAL.search(sentence, 0, match.end())
    return conditional is not None and conditional.start() <= match.start()


def _benign_span(sentence: str, match: re.Match[str]) -> bool:
    return any(b.start() <= match.start() < b.end() for p in _BENIGN for b in p.finditer(sentence))


def read_situation(subject: str, body: str) -> list[Finding]:
    """Every situation the message reports, at most one finding each.

    Reads the customer's own words (quoted history and signature removed); that
    the message is a reply says nothing by itself (the act classifier,
    ``triage.judging.acts``, reads what a follow-up does).
    """
    return list(_read_situation(subject or "", body or ""))


# Judging one message reads its situation three times (the guard flags, the act verdict, the
# provider's own flags): on a long email each read costs milliseconds of regular expressions.
@lru_cache(maxsize=64)
def _read_situation(subject: str, body: str) -> tuple[Finding, ...]:
    found: dict[Situation, Finding] = {}
    # A reply's "Re:" is no evidence: a reply is not a report because it is a reply
    # (thanks, a plan change, a new question); what it says is read like any message.
    subject = strip_reply_prefix(subject)
    for sentence in sentences(f"{subject}\n{normalize_body(body or '')}"):
        for situation, pattern in _RULES:
            if situation in found:
                continue
            for match in pattern.finditer(sentence):
                if situation not in _ALWAYS and (
                    _hypothetical(sentence, match) or _benign_span(sentence, match)
                ):
                    continue
                found[situation] = Finding(situation, _evidence(sentence, match))
                break
        if _ASKS.search(sentence):
            continue
        for situation, pattern in _STATEMENT_RULES:
            if situation in found:
                continue
            for match in pattern.finditer(sentence):
                if not (_hypothetical(sentence, match) or _benign_span(sentence, match)):
                    found[situation] = Finding(situation, _evidence(sentence, match))
                    break
    return tuple(found[s] for s in Situation if s in found)
