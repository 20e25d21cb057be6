"""The words of a question that say what it is about, and whether an article mentions them.

Retrieval by meaning finds the article closest to a question; these words tell
what the question names that the article never mentions ("my colleague's
password", "an iPad", "a webhook to delete"), in any language, inflection or
with a typo. Used by the knowledge base (``unmentioned``, shown to reviewers)
and by the answer matcher (the share of a question's words an article does not
mention is one of what the acceptance model reads).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

from triage.domain.languages import packs

# Each language pack's questions.toml (``triage.domain.languages``): words every question
# has ("how do I", "wie kann ich", "comment puis-je"), left out of question matching so that
# what is asked about decides the match; and the words below.
_QUESTIONS = [found.questions for found in packs()]
FUNCTION_WORDS = frozenset(word for q in _QUESTIONS for word in q.function_words.split())
_WORD = re.compile(r"[\w'-]+")


def content_words(text: str) -> str:
    """The words of a question that say what it is about."""
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in FUNCTION_WORDS)


# Words that say how a question is asked, not what it is about ("quick question",
# "I was wondering", "ich möchte", "je voudrais", "necesito"): a question may use
# them without the article having to mention them.
ASKING_WORDS = frozenset(word for q in _QUESTIONS for word in q.asking_words.split())
# Words that narrow what is asked to a part ("only one project", "un solo proyecto"):
# the article must say something about that part, or it does not answer.
NARROWING_WORDS = frozenset(word for q in _QUESTIONS for word in q.narrowing_words.split())
_PREFACE = re.compile(r"^[^:?]{0,60}:\s+(?=\S)")
# "customer service", "customer support": a name for support, not a customer of the asker's.
_SUPPORT_NAME = re.compile(r"\b(?:customer|client)\s+(?=(?:service|services|support|care)\b)", re.IGNORECASE)
# The undoing of something: "disconnect", "deactivate", "désactiver", "desconecto".
_UNDOING = tuple(dict.fromkeys(prefix for q in _QUESTIONS for prefix in q.undoing))
_WORD_PARTS = re.compile(r"['’-]")
_DETERMINERS = frozenset(word for q in _QUESTIONS for word in q.determiners.split())
# A question whether something exists or is offered, in the languages the checks read.
_EXISTENCE = re.compile(
    rf"[¿\s]*(?:{'|'.join(opening for q in _QUESTIONS for opening in q.existence)})\b", re.IGNORECASE
)
# A question whether something can be done ("can I ...", "kann ich ...", "peut-on ...",
# "¿puedo ...?"): yes or no depends on all of what follows, so an article that never
# mentions a word of it does not say ("take my complaint to an ombudsman").
_POSSIBILITY = re.compile(
    rf"[¿\s]*(?:{'|'.join(opening for q in _QUESTIONS for opening in q.possibility) or '(?!)'})\b",
    re.IGNORECASE,
)


def _unaccented(word: str) -> str:
    if word.isascii():  # (no accents to remove: most words, read many times a message)
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_SKIPPED = frozenset(_unaccented(w) for w in FUNCTION_WORDS | ASKING_WORDS)
_NARROWING = frozenset(_unaccented(w) for w in NARROWING_WORDS)


def terms(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` that name what it is about, each with whether it is
    written as a name (capitalised after the first word: "iPad", "Jira", "SMS").
    No function or asking words, no numbers (order numbers are references, not
    topics); unaccented, lower-case, compounds and elisions split ("zwei-faktor",
    "l'adresse")."""
    terms: dict[str, bool] = {}
    for position, match in enumerate(_WORD.finditer(text)):
        word = match.group()
        plain = _unaccented(word.lower())
        if plain in _SKIPPED:
            continue
        named = position > 0 and any(c.isupper() for c in word)
        for part in _WORD_PARTS.split(plain):
            if len(part) >= 3 and part not in _SKIPPED and not part.isdigit():
                terms[part] = terms.get(part, False) or named
    return list(terms.items())


def same_word(a: str, b: str) -> bool:
    """The same word, inflected or mistyped: "invitation(s)", "close/closing",
    "exporto/exportar", "addrtess/address"; not "connect/disconnect",
    "app/apple", "team/teammate" or "change/channel"."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) <= 4:
        return long.startswith(short) and long[len(short) :] in {"s", "es", "e", "n", "en"}
    common = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    slack = 1 if len(short) <= 6 else 2 if len(short) <= 8 else 3
    if common >= max(4, len(short) - slack):
        return True
    return common >= 4 and SequenceMatcher(None, short, long).ratio() >= 0.85


class Vocabulary:
    """Words, found again in any inflection or with a typo."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_start: dict[str, list[str]] = {}
        for word in set(words):
            self._by_start.setdefault(word[:3], []).append(word)

    def __contains__(self, word: str) -> bool:
        return any(same_word(word, w) for w in self._by_start.get(word[:3], ()))


def unmentioned(question: str, mentioned: Vocabulary, known: Vocabulary) -> list[str]:
    """The words of ``question`` naming something the article (``mentioned``) does
    not: a topic of the knowledge base (``known``) that this article leaves out
    ("delete" against the webhooks article, "ipad" against the browsers one), or
    a name no article gives ("Jira", "Apple Watch"). Other words it does not
    hold are taken as the customer's own way of asking, except in a question
    whether something exists ("is there a ...", "gibt es ...", "y a-t-il ...",
    "¿hay ...?") or can be done ("can I ...", "kann ich ...", "peut-on ...",
    "¿puedo ...?"): there every word names what is asked after, and an article
    that never mentions it does not say whether it exists or can be done."""
    asked = _SUPPORT_NAME.sub("", _PREFACE.sub("", question.strip()))  # "One more question: how do I ...?"
    sought = {t for t, _ in terms(_sought(asked))}
    return [
        t
        for t, named in terms(asked)
        if (t in sought or named or t in _NARROWING or is_subject(t, known)) and t not in mentioned
    ]


def _sought(question: str) -> str:
    """What a question whether something exists asks after: the words after "is
    there a" up to the first that is not part of the thing's name ("also a browser
    extension for ..." -> "browser extension"); all that follows "can I" in a
    question whether something can be done; "" for any other question."""
    possible = _POSSIBILITY.match(question)
    if possible is not None:
        return question[possible.end() :]
    found = _EXISTENCE.match(question)
    if found is None:
        return ""
    words: list[str] = []
    for word in _WORD.findall(question[found.end() :]):
        skipped = word.lower() in _DETERMINERS or _unaccented(word.lower()) in _SKIPPED
        if skipped and not words:
            continue  # "is there also a ...": how it is asked, before the thing's name
        if skipped or not word[0].isalnum():
            break
        words.append(word)
    return " ".join(words)


def is_subject(word: str, known: Vocabulary) -> bool:
    """A subject of the knowledge base, or its undoing ("disconnect": "connect")."""
    if word in known:
        return True
    return any(word.startswith(p) and len(word) - len(p) >= 5 and word[len(p) :] in known for p in _UNDOING)
