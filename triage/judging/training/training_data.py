"""Labelled examples for the offline model, written for this project.

The examples live as JSON Lines in ``triage/judging/data/`` (one object a line:
``subject``, ``body``, ``label``, ``lang``, ``style``): customer-service chat
lines and emails, and GitHub-style bug reports, feature requests and usage
questions, in several languages. None of it comes from evaluation data.

Chat-style lines are also used wrapped in an email (greeting, signature,
sometimes quoted history), so the model learns the request and not its
wrapper. Deterministic: the same rows every time.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from importlib.abc import Traversable
from typing import Literal, NamedTuple

from pydantic import BaseModel

from triage.domain.models import Category
from triage.domain.text import model_input
from triage.judging.answer_data import category_data_files
from triage.judging.jsonl import read_rows


class Example(BaseModel):
    subject: str = ""
    body: str
    label: Category
    lang: str = "en"
    style: Literal["chat", "email", "issue"] = "chat"
    source: str = ""  # the data file it comes from (set on load)

    @property
    def text(self) -> str:
        return model_input(self.subject, self.body)


GREETINGS = [
    "Hi,",
    "Hello team,",
    "Hey there!",
    "Good morning,",
    "Dear Acme Help support,",
    "Hi Acme,",
    "Hallo,",
    "Bonjour,",
    "Hola,",
    "Hi support team,",
]
SIGNATURES = [
    "Thanks",
    "Thanks in advance!",
    "Best regards,\nSam",
    "Cheers, Alex",
    "Kind regards\nJordan Lee\nOps Manager",
    "Thank you!",
    "--\nPriya Natarajan\nNorthwind Traders",
    "Sent from my iPhone",
]
CONTEXT = [
    "We are on the Business plan.",
    "This is for our team of 12.",
    "I've been a customer for two years.",
    "Our workspace is called Northwind.",
    "",
    "",
    "",
]
QUOTED = "\n\nOn Tue, 3 Nov 2026 at 10:02, Acme Help <support@acme-help.test> wrote:\n> Thanks for reaching out.\n> Best, the Acme Help team"


def data_files() -> list[Traversable]:
    return category_data_files()


def load_examples() -> list[Example]:
    return [
        example.model_copy(update={"source": file.name.removesuffix(".jsonl")})
        for file in data_files()
        for example in read_rows(file, Example, file.name, "a training example")
    ]


def fingerprint() -> str:
    """Identifies the training data, so a stale shipped model is detected."""
    digest = hashlib.sha256()
    for file in data_files():
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def as_email(example: Example, rng: random.Random) -> str:
    """The example's chat line as the body of an email: greeting, context, signature, history."""
    body = example.body.strip()
    parts = [rng.choice(GREETINGS), body[0].upper() + body[1:], rng.choice(CONTEXT), rng.choice(SIGNATURES)]
    email = "\n\n".join(p for p in parts if p)
    if rng.random() < 0.3:
        email += QUOTED
    return email


class TrainingRows(NamedTuple):
    texts: list[str]  # what the TF-IDF model reads: model_input(subject, body)
    labels: list[str]
    groups: list[int]  # the example a row comes from: its copies stay in one fold
    sources: list[str]  # the file it comes from: each is left out whole once to calibrate
    messages: list[tuple[str, str]]  # (subject, body): what the encoder head reads
    # The kind of text (the example's style: chat line, email, GitHub issue): held-out
    # predictions are scored per register, as mail arrives from one at a time.
    registers: list[str]


def training_rows(examples: Iterable[Example], seed: int = 7) -> TrainingRows:
    """Every example, and every chat line once more as an email."""
    rng = random.Random(seed)
    rows = TrainingRows([], [], [], [], [], [])
    for number, example in enumerate(examples):
        variants = [example.body]
        if example.style == "chat" and example.body.strip():
            variants.append(as_email(example, rng))
        for body in variants:
            rows.texts.append(model_input(example.subject, body))
            rows.labels.append(example.label.value)
            rows.groups.append(number)
            rows.sources.append(example.source)
            rows.messages.append((example.subject, body))
            rows.registers.append(example.style)
    return rows
