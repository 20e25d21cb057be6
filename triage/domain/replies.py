"""The fixed replies, per language: the template around a knowledge-base article,
and the holding reply that promises a person will answer (each language pack's
``replies.toml``, read by ``triage.domain.languages``).

Every one is signed with the brand from configuration (``TRIAGE_BRAND_NAME``).
They are written in Markdown without markup, so the source is also the plain
text: the offline drafts render it twice (``triage.domain.render``); the fallback when
drafting fails uses it as is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any

from triage.domain.languages import packs
from triage.domain.models import DEFAULT_BRAND_NAME


@dataclass(frozen=True)
class ReplyText:
    """The fixed parts of a template reply, in one language."""

    greeting: str
    thanks: str
    more: str
    closing: str
    holding: str
    acknowledgement: str  # "sorry for the trouble": only to a customer reporting a problem
    update: str  # opens a reply to a changed request
    update_holding: str  # the same, when a person will answer it
    withdrawal: str  # to a customer who took the question back
    # In a pack a template: ``{brand}`` the brand as configured, ``{brand_joined}``
    # its words joined by hyphens, as German compounds a name with a noun
    # ("Acme-Help-Support"); ``reply_text`` fills it in.
    signature: str = "— {brand} support"
    # What a reply's subject names when the customer's mail had none: "Re: your message".
    no_subject: str = "your message"


@cache
def reply_texts() -> dict[str, ReplyText]:
    """Every pack with all its replies (read on first use, so that importing this module
    reads no file: a broken pack is reported by the command that reads it)."""
    return {
        found.code: ReplyText(**found.replies.model_dump(exclude_none=True))
        for found in packs()
        if not found.replies.missing()
    }


def __getattr__(name: str) -> Any:
    """``REPLY_TEXT`` (English is the fallback), ``ACKNOWLEDGEMENT`` (English) and
    ``ACKNOWLEDGEMENTS`` (every language's), computed from the packs on first use."""
    if name == "REPLY_TEXT":
        return reply_texts()
    if name == "ACKNOWLEDGEMENT":
        return reply_texts()["en"].acknowledgement
    if name == "ACKNOWLEDGEMENTS":
        return frozenset(text.acknowledgement for text in reply_texts().values())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reply_text(language: str, brand: str = DEFAULT_BRAND_NAME) -> ReplyText:
    """The texts in ``language``, signed by ``brand``; English where there is none
    (such a reply waits for review)."""
    texts = reply_texts()
    template = texts.get(language, texts["en"])
    return replace(
        template, signature=template.signature.format(brand=brand, brand_joined="-".join(brand.split()))
    )


class Holding(StrEnum):
    """Which reply a person will follow up: what the customer did decides its words."""

    QUESTION = "holding"  # a question or request: a person will answer
    PROBLEM = "acknowledgement"  # a problem report: sorry for the trouble, a person is on it
    CHANGE = "update_holding"  # a changed request: noted, a person will take it into account
    WITHDRAWAL = "withdrawal"  # the question was taken back: glad it is sorted


def holding_reply(
    brand: str = DEFAULT_BRAND_NAME,
    language: str = "en",
    *,
    acknowledge: bool = False,
    kind: Holding | None = None,
) -> str:
    """The reply that answers nothing yet: a person will. To a customer reporting
    trouble (``acknowledge``, or ``kind=Holding.PROBLEM``), it says sorry for the trouble first."""
    text = reply_text(language, brand)
    kind = kind or (Holding.PROBLEM if acknowledge else Holding.QUESTION)
    return f"{text.greeting},\n\n{getattr(text, kind.value)}\n\n{text.signature}"
