"""Review models: the triage workflow's status, input, state and result, and reviewers' decisions.

Owned by ``workflows/triage.py`` (input, state, result) and ``starter/review.py`` (decisions).
Timestamps are always passed in explicitly (``workflow.now()`` inside workflows).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from triage.domain.models.autonomy import AutonomyMode, PolicyDecision, PolicySettings
from triage.domain.models.conversation import ConversationTurn
from triage.domain.models.judgement import Category, Classification, KbCitation, LlmUsage
from triage.domain.models.mail import InboundMessage, ThreadEntry


class TriageStatus(StrEnum):
    CLASSIFYING = "classifying"
    DRAFTING = "drafting"
    AWAITING_REVIEW = "awaiting_review"
    AUTO_SENT = "auto_sent"
    SENT = "sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a newer message in the same conversation took over
    NO_REPLY_NEEDED = "no_reply_needed"  # a thank-you or acknowledgement closed the conversation

    @property
    def is_terminal(self) -> bool:
        return self not in (
            TriageStatus.CLASSIFYING,
            TriageStatus.DRAFTING,
            TriageStatus.AWAITING_REVIEW,
        )


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
    # Where classify and draft run; None: beside the workflow's own queue (contracts.judge_queue_for).
    judge_task_queue: str | None = None


class Role(StrEnum):
    """What a signed-in person may do (docs: "Access and roles")."""

    ADMIN = "admin"  # also: autonomy modes, retraining, model promotion and rollback
    REVIEWER = "reviewer"  # decide reviews, flag automatic replies


class ReviewAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REDRAFT = "redraft"
    EDIT = "edit"
    # "No reply needed": nothing is sent and the review closes, without saying the draft was wrong
    # (a thank-you, an out-of-office, a message answered elsewhere). Unlike reject, it needs no reason.
    CLOSE = "close"


class ReviewDecision(BaseModel):
    """A reviewer's decision on one revision of the draft."""

    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    revision: int = Field(ge=1)
    reviewer: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=100_000)
    reason: str | None = Field(default=None, max_length=5_000)
    instructions: str | None = Field(default=None, max_length=5_000)
    # The right category, when the classifier got it wrong: training data for retraining.
    category: Category | None = None

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
    draft_html: str | None = None  # None: the HTML part is rendered from draft_body
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
    thread: list[ThreadEntry] = Field(default_factory=list)
    conversation: ConversationTurn | None = None
    superseded_by: str | None = None  # the message that took over (superseded / no reply needed)
    # Other senders in this message's thread (mailboxes): the review page marks them.
    other_participants: list[str] = Field(default_factory=list)
    corrected_category: Category | None = None  # set by a reviewer's decision


class Correction(BaseModel):
    """A reviewer's corrected category, with what the model read and what was sent."""

    workflow_id: str
    subject: str
    body: str
    language: str = "en"
    predicted: Category
    corrected: Category
    reviewer: str
    model_version: str | None = None
    sent_body: str | None = None


class TriageResult(BaseModel):
    status: TriageStatus
    category: Category | None = None
    sent_message_id: str | None = None
    reviewer: str | None = None
    # Earned autonomy (absent from workflows started before it):
    inbox_id: str | None = None
    article_id: str | None = None  # the article the reply answered with
    would_auto_send: bool = False
    mode: AutonomyMode | None = None
    sent_body: str | None = None
    correction: Correction | None = None
    model_version: str | None = None
