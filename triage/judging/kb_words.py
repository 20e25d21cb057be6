"""The words of a question that say what it is about, and whether an article mentions them.

Retrieval by meaning finds the article closest to a question; these words tell
what the question names that the article never mentions ("my colleague's
password", "an iPad", "a webhook to delete"), in any language, inflection or
with a typo. Used by the knowledge base (``unmentioned``, shown to reviewers)
and by the answer matcher (the share of a question's words an article does not
mention is one of what the acceptance model reads).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from functools import cache

from triage.domain.languages import packs
from triage.judging.answer_data import category_data_files

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


def _any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One pattern for all of ``patterns`` (case ignored); one that matches nothing for none."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.IGNORECASE)


# A question for a fact of the customer's own past ("when did I sign up?", "¿con qué
# correo me registré?"): what it was, not how to do it or where to look.
_LOOKUP = _any_of(p for q in _QUESTIONS for p in q.lookup)
# When the customer needs it done ("before Friday", "antes del viernes"): not what is asked.
_DEADLINE = _any_of(p for q in _QUESTIONS for p in q.deadline)


def without_deadline(question: str) -> str:
    """``question`` without when the customer needs it done: "can I change the address
    before Friday?" asks what "can I change the address?" asks, and an article that never
    names a weekday answers it."""
    return " ".join(_DEADLINE.sub(" ", question).split()) if _DEADLINE.search(question) else question


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


# The endings a stem of up to four letters takes ("talk/talking", "send/sending",
# "call/called"; not "form/former"); longer stems are matched by their common start.
_SHORT_STEM_ENDINGS = frozenset({"s", "es", "e", "n", "en", "ing", "ed"})
_DOUBLING_ENDINGS = frozenset({"ing", "ed"})


def same_word(a: str, b: str) -> bool:
    """The same word, inflected or mistyped: "invitation(s)", "close/closing",
    "exporto/exportar", "addrtess/address"; not "connect/disconnect",
    "app/apple", "team/teammate" or "change/channel"."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) <= 4:
        # A short stem takes an ending, its last letter doubled before one ("shop/shopping").
        ending = long[len(short) :]
        if ending[:1] == short[-1] and ending[1:] in _DOUBLING_ENDINGS:
            ending = ending[1:]
        return long.startswith(short) and ending in _SHORT_STEM_ENDINGS
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

    def words(self) -> Iterable[str]:
        return (w for same_start in self._by_start.values() for w in same_start)


# A typo is one slip (a letter left out, added, changed, or two swapped) in a word of
# five letters or more: shorter words are a slip away from too many others.
TYPO_MIN_LETTERS = 5
# The parts of words (as ``terms`` splits them: no digits) long enough to be mistyped.
_LONG_WORD = re.compile(rf"[^\W\d_]{{{TYPO_MIN_LETTERS},}}")


def _one_out(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def one_slip(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one letter left out, added or changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


class Slips:
    """Words found again with one slip ("adfress", "pssword", "uhelp"): every word
    with one letter left out points back at it (a symmetric-delete index)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_variant: dict[str, set[str]] = {}
        for word in words:
            for variant in _one_out(word):
                self._by_variant.setdefault(variant, set()).add(word)

    def near(self, word: str) -> set[str]:
        """The words ``word`` is one slip away from."""
        found = {w for v in _one_out(word) for w in self._by_variant.get(v, ())}
        return {w for w in found if one_slip(word, w)}


@cache
def language_words() -> frozenset[str]:
    """The words the project's own texts use (the category examples in
    ``triage/judging/data``, in every language it answers): a word none of them
    uses, one slip from a word an article mentions, is that word mistyped; a word
    they use ("three", "whole") is a word of its own, however close."""
    found: set[str] = set()
    for file in category_data_files():
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                text = _unaccented(f"{row.get('subject') or ''} {row.get('body') or ''}".lower())
                found.update(_LONG_WORD.findall(text))
    return frozenset(found)


def mistyped(word: str, slips: Slips, mentioned: Vocabulary, known: Vocabulary) -> bool:
    """``word`` is a word ``mentioned`` uses, or a word of how questions are asked
    ("uhelp": "help"), mistyped: it is one slip away from such a word, and no text
    of the project or of the knowledge base (``known``) uses it."""
    if len(word) < TYPO_MIN_LETTERS or not any(w in _SKIPPED or w in mentioned for w in slips.near(word)):
        return False
    return word not in known and word not in language_words()


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


def is_lookup(question: str) -> bool:
    """Does ``question`` ask for a fact of the customer's own past ("when did I sign
    up?", "mit welcher E-Mail habe ich mich angemeldet?", "quand me suis-je inscrit ?",
    "¿qué tarjeta usé?")? The accents count: "qué" asks, "que" relates."""
    return bool(_LOOKUP.search(" ".join(question.lower().replace("’", "'").split())))


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
