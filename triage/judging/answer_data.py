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

from importlib import resources
from importlib.abc import Traversable
from typing import Literal

from pydantic import BaseModel

from triage.judging.jsonl import read_rows

ANSWER_DATA_FILE = "answers.jsonl"


class AnswerExample(BaseModel):
    text: str
    lang: Literal["en", "de", "fr", "es"]
    article: str | None
    kind: Literal["paraphrase", "near_miss"]
    near: str | None


def answer_data_file() -> Traversable:
    return resources.files("triage.judging").joinpath("data", ANSWER_DATA_FILE)


def load_answer_examples() -> list[AnswerExample]:
    return read_rows(answer_data_file(), AnswerExample, ANSWER_DATA_FILE, "an answer example")
