"""Questions for fitting the answer acceptance, written for this project.

``triage/judging/data/answers.jsonl`` holds one object a line: ``text``, ``lang``,
``article`` (the article that truly answers it, or null), ``kind`` and ``near``
(the article it was written against, or null for off-topic mail). Paraphrases
say what an article's body really answers in other words; near-misses share an
article's words but ask what it does not cover (another device, someone else's
account, an outcome it does not promise, a problem report). A near-miss that
another article answers is a paraphrase of that article, ``near`` still naming
the article it was written against. None of it comes from evaluation data.

Kept apart from the category examples (another schema): ``training_data``
leaves this file out.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any, Literal

from pydantic import BaseModel

from triage.judging.jsonl import read_rows

ANSWER_DATA_FILE = "answers.jsonl"
# Short requests generated from per-article parts (``training.generate_answers``).
GENERATED_FILE = "answers-generated.jsonl"


class AnswerExample(BaseModel):
    text: str
    lang: Literal["en", "de", "fr", "es"]
    article: str | None
    kind: Literal["paraphrase", "near_miss"]
    near: str | None
    # The generated requests' article, language and phrase: rows of one template are
    # left out of the index together while one of them is measured, and kept in one fold.
    template: str | None = None
    # Written in the rough register (a greeting, a sign-off, a deadline, a glued or
    # dropped letter: ``generate_answers``): fitted on, never matched as a question.
    rough: bool = False


def family(example: AnswerExample) -> str:
    """What a generated row is, from its template ("<article>/<lang>/<kind><n>", or
    "lookup/<lang>/<n>"): "request" (a paraphrase), "report" (the same thing reported
    as broken), "elsewhere" (the same action in another company's product) or "lookup"
    (a fact of the customer's own account); "written" for the rows of answers.jsonl."""
    if example.template is None:
        return "written"
    kind = example.template.split("/")[-1].rstrip("0123456789")
    return (
        "lookup"
        if example.template.startswith("lookup/")
        else kind
        if kind in ("report", "elsewhere")
        else "request"
    )


def answer_data_file() -> Traversable:
    return resources.files("triage.judging").joinpath("data", ANSWER_DATA_FILE)


def load_answer_examples() -> list[AnswerExample]:
    return read_rows(answer_data_file(), AnswerExample, ANSWER_DATA_FILE, "an answer example")


def category_data_files() -> list[Traversable]:
    """The category examples' files: the data folder's other JSON Lines (the answer
    questions share the folder but not the schema or the purpose)."""
    folder = resources.files("triage.judging").joinpath("data")
    files = (
        f
        for f in folder.iterdir()
        if f.name.endswith(".jsonl") and f.name not in (ANSWER_DATA_FILE, GENERATED_FILE)
    )
    return sorted(files, key=lambda f: f.name)


def generated_data_file() -> Traversable:
    return resources.files("triage.judging").joinpath("data", GENERATED_FILE)


def load_generated_examples() -> list[AnswerExample]:
    return read_rows(generated_data_file(), AnswerExample, GENERATED_FILE, "a generated answer example")


# The parts the generated requests are made of, per article and language; their
# ``words`` are the customers' names for what an article is about that its texts
# never use ("freemium", "eta", "chargeback").
PHRASES_FILE = "answer_phrases.toml"


@cache
def answer_phrases() -> dict[str, Any]:
    return tomllib.loads(resources.files("triage.judging").joinpath("data", PHRASES_FILE).read_text("utf-8"))


def customer_words() -> dict[str, list[str]]:
    """Per article id, the customers' words for it, in every language, and the values
    of the slots its parts use: a slot says which one ("my gold account", "order
    00912734"), not what is asked, so its values are mentioned by the article."""
    phrases = answer_phrases()
    return {
        article: [
            *(w for own in languages.values() for w in own.get("words", ())),
            *(value for slot in _slots_used(languages) for value in phrases["slots"][slot]),
        ]
        for article, languages in phrases["articles"].items()
    }


def which_one_words() -> set[str]:
    """The slots' one-word values ("platinum", "gold"): they say which one, not what is
    asked (a reference with digits is told by its digits: ``kb_match.what_is_asked``)."""
    return {
        value.lower()
        for values in answer_phrases()["slots"].values()
        for value in values
        if len(value.split()) == 1 and not any(c.isdigit() for c in value)
    }


def _slots_used(languages: dict[str, Any]) -> list[str]:
    """The slots ("plan", "order") an article's parts put a value in, in any language."""
    parts = " ".join(p for own in languages.values() for shape in ("do", "about") for p in own.get(shape, ()))
    return sorted(set(re.findall(r"\{(\w+)\}", parts)))
