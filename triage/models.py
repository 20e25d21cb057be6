"""Data shared by the watcher, workflows, activities, API and CLI.

Everything here crosses Temporal's data converter (pydantic), so models hold
plain data only. Timestamps are always passed in explicitly (``workflow.now()``
inside workflows): a ``default_factory=datetime.now`` would read wall-clock time
inside the sandbox.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Category(StrEnum):
    BILLING = "billing"
    BUG = "bug"
    FEATURE_REQUEST = "feature_request"
    GENERAL = "general"
    FAQ = "faq"


class TriageStatus(StrEnum):
    CLASSIFYING = "classifying"
    DRAFTING = "drafting"
    AWAITING_REVIEW = "awaiting_review"
    AUTO_SENT = "auto_sent"
    SENT = "sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self not in (
            TriageStatus.CLASSIFYING,
            TriageStatus.DRAFTING,
            TriageStatus.AWAITING_REVIEW,
        )


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
    TECHNICAL = "technical"  # code, stack traces, logs: no template answers those
    TOO_LONG = "too_long"
    EMPTY = "empty"
    INVALID_OUTPUT = "invalid_output"
    CLASSIFIER_ERROR = "classifier_error"
    NO_KB_SUPPORT = "no_kb_support"
    MODEL_DISAGREEMENT = "model_disagreement"
    BAD_ADDRESS = "bad_address"  # no single, well-formed sender address to reply to


class InboundMessage(BaseModel):
    """One inbound email, as the workflow sees it.

    Bodies are bounded before they enter workflow history (Temporal payloads
    have a size limit); ``body_chars`` keeps the original length so the
    guardrails can still tell an oversized message apart.
    """

    message_id: str
    inbox_id: str
    thread_id: str | None = None
    from_address: str
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    plain_body: str = ""
    html_body: str | None = None
    received_at: datetime | None = None
    body_chars: int = 0
    truncated: bool = False
    # Set by triage.inbound from the parsed From/Reply-To: the one address a
    # reply may go to, or why there is none (then the message goes to review).
    reply_address: str | None = None
    address_problem: str | None = None


class LlmUsage(BaseModel):
    provider: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


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
    usage: LlmUsage | None = None


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


class DraftReply(BaseModel):
    body: str
    citations: list[KbCitation] = Field(default_factory=list)
    grounded: bool = False
    answer: KbAnswer | None = None
    usage: LlmUsage | None = None


class DraftRequest(BaseModel):
    message: InboundMessage
    classification: Classification
    instructions: str | None = None
    previous_body: str | None = None


class SaveDraftRequest(BaseModel):
    """Create the reply draft (``draft_id`` None) or replace its body."""

    inbox_id: str
    reply_to_message_id: str
    to: list[str]
    subject: str
    body: str
    draft_id: str | None = None


class DiscardDraftRequest(BaseModel):
    inbox_id: str
    draft_id: str


class SendDraftRequest(BaseModel):
    inbox_id: str
    draft_id: str
    reply_to_message_id: str
    thread_id: str | None = None


class SentReply(BaseModel):
    message_id: str
    already_sent: bool = False


class PolicySettings(BaseModel):
    auto_send_categories: list[Category] = Field(
        default_factory=lambda: [Category.GENERAL, Category.FAQ]
    )
    confidence_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    require_kb_support: bool = True
    # Flags listed here do not block an auto-send; empty means every flag blocks.
    ignored_flags: list[GuardFlag] = Field(default_factory=list)
    # An article must declare a question this close to the customer's (cosine, 0-1).
    # None: the check is off (workflows started before it existed replay without it).
    answer_threshold: float | None = Field(default=0.45, ge=0.0, le=1.0)
    # Languages whose problem-report checks exist; a message in any other waits for a
    # human. None: any language.
    checked_languages: list[str] | None = Field(default_factory=lambda: ["en", "de", "fr", "es"])


class PolicyDecision(BaseModel):
    auto_send: bool
    reasons: list[str] = Field(default_factory=list)
    answer: KbAnswer | None = None  # what the decision read: shown to reviewers


class ReviewSettings(BaseModel):
    reminder_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(hours=72)

    @model_validator(mode="after")
    def _expiry_after_reminder(self) -> ReviewSettings:
        if self.expire_after < self.reminder_after:
            raise ValueError("expire_after must not be shorter than reminder_after")
        return self


class TriageInput(BaseModel):
    message: InboundMessage
    policy: PolicySettings = Field(default_factory=PolicySettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REDRAFT = "redraft"
    EDIT = "edit"


class ReviewDecision(BaseModel):
    """A reviewer's decision on one revision of the draft."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    revision: int = Field(ge=1)
    reviewer: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    reason: str | None = Field(default=None, max_length=5_000)
    instructions: str | None = Field(default=None, max_length=5_000)

    @model_validator(mode="after")
    def _fields_match_action(self) -> ReviewDecision:
        if self.action is ReviewAction.REJECT and not (self.reason or "").strip():
            raise ValueError("reject needs a reason")
        if self.action is ReviewAction.REDRAFT and not (self.instructions or "").strip():
            raise ValueError("redraft needs instructions")
        if self.action is ReviewAction.EDIT and not (self.body or "").strip():
            raise ValueError("edit needs a body")
        if self.body is not None and not self.body.strip():
            raise ValueError("body must not be blank")
        return self


class DecisionRecord(BaseModel):
    decision: ReviewDecision
    decided_at: datetime
    status_after: TriageStatus
    revision_after: int


class ReviewOutcome(BaseModel):
    status: TriageStatus
    revision: int
    sent_message_id: str | None = None


class Notification(BaseModel):
    kind: str  # "review_requested" | "reminder" | "expired"
    workflow_id: str
    revision: int
    category: Category | None
    confidence: float | None
    from_address: str
    subject: str
    snippet: str
    reasons: list[str] = Field(default_factory=list)
    due_at: datetime | None = None


class TriageState(BaseModel):
    """What the ``state`` query returns: everything a reviewer needs."""

    workflow_id: str
    status: TriageStatus
    message: InboundMessage
    started_at: datetime
    classification: Classification | None = None
    policy_decision: PolicyDecision | None = None
    draft_id: str | None = None
    draft_body: str | None = None
    revision: int = 0
    citations: list[KbCitation] = Field(default_factory=list)
    grounded: bool = False
    decisions: list[DecisionRecord] = Field(default_factory=list)
    usage: list[LlmUsage] = Field(default_factory=list)
    review_started_at: datetime | None = None
    reminder_at: datetime | None = None
    expires_at: datetime | None = None
    reminded: bool = False
    sent_message_id: str | None = None
    error: str | None = None
    finished_at: datetime | None = None


class TriageResult(BaseModel):
    status: TriageStatus
    category: Category | None = None
    sent_message_id: str | None = None
    reviewer: str | None = None
