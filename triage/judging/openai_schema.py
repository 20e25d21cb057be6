"""The response schemas of the OpenAI-compatible provider: what the model must answer, field by field.

The SDK turns these pydantic models into a strict JSON schema; their docstrings and
field descriptions are sent to the model as part of it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triage.domain.models import Category
from triage.judging.prompts import MODEL_FLAGS

# The guard flags a model may set: exactly those the prompt describes.
# Built from the contract at run time, so a type checker sees a plain string.
if TYPE_CHECKING:
    ModelFlag = str
else:
    ModelFlag = Literal[tuple(flag.value for flag in MODEL_FLAGS)]


class ClassificationOutput(BaseModel):
    """Triage of one customer-support email."""

    model_config = ConfigDict(extra="forbid")

    category: Category
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the category is, 0 to 1")
    # The pattern is in the schema: a server that enforces it (llama.cpp's grammar) never lets a
    # model answer "English"; the validator below still checks every other server's answer.
    language: str = Field(
        description="ISO 639-1 code of the customer's language, e.g. en, de",
        pattern=r"^[A-Za-z]{2}([-_][A-Za-z0-9]{2,8})?$",
    )
    sentiment: Literal["positive", "neutral", "negative"]
    urgency: Literal["low", "normal", "high"]
    reason: str = Field(description="One short sentence explaining the category")
    guard_flags: list[ModelFlag]
    reports_problem: bool = Field(
        description="True if the customer reports that something failed, is missing, wrong or late, "
        "writes again about an earlier request, or disputes something, even if phrased as a question"
    )

    @field_validator("language")
    @classmethod
    def _iso_639_1(cls, value: str) -> str:
        # Models often answer "EN" or "en-US"; keep the language, drop the region.
        code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
        if not re.fullmatch(r"[a-z]{2}", code):
            raise ValueError("not an ISO 639-1 code")
        return code


class DraftOutput(BaseModel):
    """A reply to one customer-support email."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="The reply, plain text, in the customer's language")
    used_article_ids: list[str] = Field(description="Ids of the articles the reply relies on")
    grounded: bool = Field(description="True only if the articles fully support the reply")
    answering_article_id: str | None = Field(
        description="The id of the one article that fully answers what the customer asked, or null. "
        "Steps the customer says they already tried and that failed do not answer them."
    )
