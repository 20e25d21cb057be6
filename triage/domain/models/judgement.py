"""Judgement models: categories, guard flags and acts, the classification, and the drafted reply.

Owned by the judging code (``triage/judging/``, ``triage/judging/kb.py``) and ``activities/llm.py``;
the category and flag contracts are tied by ``tests/test_contracts.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from triage.domain.models.mail import InboundMessage, ThreadEntry


class Category(StrEnum):
    BILLING = "billing"
    BUG = "bug"
    FEATURE_REQUEST = "feature_request"
    GENERAL = "general"
    FAQ = "faq"


# What each category means, in the order the classification prompt lists them
# (general, "anything else", last). The prompt is generated from this table.
CATEGORY_DESCRIPTIONS: dict[Category, str] = {
    Category.BILLING: "invoices, payments, charges, refunds, plans, subscriptions, cancellations for money reasons",
    Category.BUG: "something in the product is broken, fails, crashes or behaves wrongly",
    Category.FEATURE_REQUEST: "a request or suggestion for new or changed functionality",
    Category.FAQ: "a routine how-to question answered by standard documentation (passwords, settings, usage)",
    Category.GENERAL: "anything else (account, shipping, partnership, praise, unclear requests)",
}


# faq and general are the same answer, the routine one a help centre gives: the
# evaluation labels and the offline model's calibration count either as the other.
SAME_ANSWER: dict[Category, Category] = {Category.FAQ: Category.GENERAL}


def answer_label(category: Category | str) -> str:
    """The label a category is scored as: faq and general are one (SAME_ANSWER)."""
    category = Category(category)
    return SAME_ANSWER.get(category, category).value


# The categories whose replies may go out without a human unless configured otherwise
# (TRIAGE_AUTO_SEND_CATEGORIES): the routine questions a help centre answers.
DEFAULT_AUTO_SEND_CATEGORIES = (Category.GENERAL, Category.FAQ)


class GuardFlag(StrEnum):
    """Reasons a message must be seen by a human whatever its category."""

    PROMPT_INJECTION = "prompt_injection"
    MONEY = "money"
    LEGAL = "legal"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    URGENT = "urgent"
    SECURITY = "security"
    DATA_LOSS = "data_loss"
    # The customer reports a failure, a missing or wrong outcome, a repeat contact
    # or a dispute: a canned how-to answers the topic, not the situation.
    PROBLEM_REPORT = "problem_report"
    PRIVACY = "privacy"  # data-protection requests (erasure, access) carry legal weight
    # The customer takes the question back ("never mind, I found it"): an answer to a
    # question nobody asks any more is a wrong reply; a human decides what, if anything, to say.
    WITHDRAWN = "withdrawn"
    TECHNICAL = "technical"  # code, stack traces, logs: no template answers those
    TOO_LONG = "too_long"
    EMPTY = "empty"
    INVALID_OUTPUT = "invalid_output"
    CLASSIFIER_ERROR = "classifier_error"
    NO_KB_SUPPORT = "no_kb_support"
    MODEL_DISAGREEMENT = "model_disagreement"
    BAD_ADDRESS = "bad_address"  # no single, well-formed sender address to reply to
    # The provider says the sender failed SPF, DKIM or DMARC: the From may be forged, and a
    # reply would go to whoever was impersonated (backscatter).
    UNAUTHENTICATED = "unauthenticated_sender"


class MessageAct(StrEnum):
    """What the customer does with the new text of a message (``triage.judging.acts``).

    The values are in saved workflow histories and in the act tables
    (``triage/judging/acts/``): they never change.
    """

    ASKS_HOW = "asks_how"  # asks how to do something, or for something (a greeting alone opens, so asks)
    REPORTS_PROBLEM = "reports_problem"  # something failed, is missing or came out wrong
    DISPUTES_CHARGE = "disputes_charge"  # contests a charge or an invoice
    DATA_REQUEST = "data_request"  # a data-rights request: access, erasure, correction, portability
    CLOSES = "closes"  # thanks or acknowledges, with nothing new: needs no reply
    WITHDRAWS = "withdraws"  # takes the question back: "never mind, I found it"
    CHANGES_REQUEST = "changes_request"  # changes or corrects an earlier request
    INSTRUCTS_ASSISTANT = "instructs_assistant"  # addresses the AI/bot with instructions: an injection


class LlmUsage(BaseModel):
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


MAX_REASON_CHARS = 300


class Classification(BaseModel):
    category: Category
    confidence: float = Field(ge=0.0, le=1.0)
    language: str = "en"
    sentiment: str = "neutral"
    urgency: str = "normal"
    reason: str = ""
    guard_flags: list[GuardFlag] = Field(default_factory=list)
    # What raised the flags, for the reviewer: 'problem_report (failure): "none of them arrived"'.
    evidence: list[str] = Field(default_factory=list)
    # Only thanks, an acknowledgement or a sign-off: the conversation needs no reply.
    closing: bool = False
    # A closing that still expects the answer ("thanks, I'll wait"): the thread's open review stays open.
    awaits_reply: bool = False
    # What the customer does with the new text, as the act classifier reads it (None: not read).
    act: MessageAct | None = None
    usage: LlmUsage | None = None
    # The classifier that decided: the offline model's version, or the LLM's model name.
    model_version: str | None = None

    @classmethod
    def for_review(cls, reason: str, flags: Iterable[GuardFlag], **details: Any) -> Classification:
        """No verdict to trust (the classifier failed or answered garbage): whatever the
        message is, a human decides. General at confidence 0, with the flags saying why."""
        return cls(
            category=Category.GENERAL,
            confidence=0.0,
            reason=reason[:MAX_REASON_CHARS],
            guard_flags=sorted(set(flags)),
            **details,
        )


class KbCitation(BaseModel):
    article_id: str
    title: str
    url: str | None = None
    score: float = 0.0


class KbAnswer(BaseModel):
    """The knowledge-base question closest to what the customer asked.

    Always the best match, however weak, so a reviewer sees how close it came;
    the send policy compares ``score`` with its threshold.
    """

    article_id: str
    question: str
    score: float = Field(ge=0.0, le=1.0)
    # Questions in the message that no article answers ("... and can I also ...?").
    unanswered: list[str] = Field(default_factory=list)
    # With an LLM: did it name the same article as the one that answers? None offline.
    confirmed_by_model: bool | None = None
    # Another article as close as this one, by a different measure (meaning or spelling):
    # which of the two answers is unclear, so a human picks (triage.judging.kb_match.Match.rival).
    rival: str | None = None


class DraftReply(BaseModel):
    body: str  # the plain-text part: no Markdown syntax
    citations: list[KbCitation] = Field(default_factory=list)
    grounded: bool = False
    answer: KbAnswer | None = None
    usage: LlmUsage | None = None
    # The sanitised HTML part, rendered from the same source (None: made from the body).
    html_body: str | None = None
    # The language of the article text the reply is drawn from; one that is not the
    # customer's means the knowledge base has no article in their language. None: no
    # article, or a draft made before this was recorded.
    article_language: str | None = None


class DraftRequest(BaseModel):
    message: InboundMessage
    classification: Classification
    instructions: str | None = None
    previous_body: str | None = None
    # Earlier messages of the same thread, oldest first, cut to a budget.
    thread: list[ThreadEntry] = Field(default_factory=list)


class JudgeRequest(BaseModel):
    """Classify a message and draft its reply in one activity (the triage workflow's lean path)."""

    message: InboundMessage
    # Earlier messages of the same thread, oldest first, cut to a budget (the draft's).
    thread: list[ThreadEntry] = Field(default_factory=list)
    draft: bool = True  # False: classify only (a newer message of the thread answers)
    # A closing message needs no reply, unless someone else wrote into the thread (a human reads it).
    draft_closing: bool = False


class Judgement(BaseModel):
    classification: Classification
    reply: DraftReply | None = None  # None: not drafted (see JudgeRequest), or the drafting failed
    draft_error: str | None = None  # the drafting failed: the workflow drafts again, with retries
