"""Data shared by the watcher, workflows, activities, API and CLI.

Everything here crosses Temporal's data converter (pydantic), so models hold
plain data only. Timestamps are always passed in explicitly (``workflow.now()``
inside workflows): a ``default_factory=datetime.now`` would read wall-clock time
inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from triage.senders import DEFAULT_BUDGET_WINDOW, DEFAULT_DOMAIN_LIMIT, DEFAULT_INBOX_LIMIT, MAILBOX, Budget


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

# The categories whose replies may go out without a human unless configured otherwise
# (TRIAGE_AUTO_SEND_CATEGORIES): the routine questions a help centre answers.
DEFAULT_AUTO_SEND_CATEGORIES = (Category.GENERAL, Category.FAQ)
# The team our fixed replies are signed by unless configured otherwise (TRIAGE_BRAND_NAME).
DEFAULT_BRAND_NAME = "Acme Help"


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
    """What the customer does with the new text of a message (``triage.llm.acts``).

    The values are in saved workflow histories and in the act tables
    (``triage/llm/acts/``): they never change.
    """

    ASKS_HOW = "asks_how"  # asks how to do something, or for something (a greeting alone opens, so asks)
    REPORTS_PROBLEM = "reports_problem"  # something failed, is missing or came out wrong
    DISPUTES_CHARGE = "disputes_charge"  # contests a charge or an invoice
    DATA_REQUEST = "data_request"  # a data-rights request: access, erasure, correction, portability
    CLOSES = "closes"  # thanks or acknowledges, with nothing new: needs no reply
    WITHDRAWS = "withdraws"  # takes the question back: "never mind, I found it"
    CHANGES_REQUEST = "changes_request"  # changes or corrects an earlier request
    INSTRUCTS_ASSISTANT = "instructs_assistant"  # addresses the AI/bot with instructions: an injection


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
    # Set by the mail provider when it reports the sender's SPF/DKIM/DMARC results
    # (triage.senders.authentication_problem); None: passed, or not reported.
    authentication_problem: str | None = None


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
    # which of the two answers is unclear, so a human picks (triage.kb_match.Match.rival).
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


class ThreadEntry(BaseModel):
    """An earlier message of the conversation, as the drafter sees it (cleaned, bounded)."""

    from_us: bool
    sender: str
    text: str
    received_at: datetime | None = None


class DraftRequest(BaseModel):
    message: InboundMessage
    classification: Classification
    instructions: str | None = None
    previous_body: str | None = None
    # Earlier messages of the same thread, oldest first, cut to a budget.
    thread: list[ThreadEntry] = Field(default_factory=list)


class SaveDraftRequest(BaseModel):
    """Create the reply draft (``draft_id`` None) or replace its body."""

    inbox_id: str
    reply_to_message_id: str
    to: list[str]
    subject: str
    body: str
    draft_id: str | None = None
    # The HTML part; None: rendered from ``body`` (a reviewer's edit, the holding reply).
    html_body: str | None = None


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
    auto_send_categories: list[Category] = Field(default_factory=lambda: list(DEFAULT_AUTO_SEND_CATEGORIES))
    confidence_threshold: float = Field(default=0.9, ge=0.0, le=1.0)
    require_kb_support: bool = True
    # Flags listed here do not block an auto-send; empty means every flag blocks.
    ignored_flags: list[GuardFlag] = Field(default_factory=list)
    # An article must declare a question this close to the customer's (cosine, 0-1).
    # None: the check is off (workflows started before it existed replay without it).
    answer_threshold: float | None = Field(default=0.8, ge=0.0, le=1.0)
    # A how-to question an article answers (the act model reads "asks how", the answer
    # passes answer_threshold with nothing left unanswered, no guard flag) is routine
    # whatever its category label: the classifier's confidence need only reach this.
    # None: the rule is off (workflows started before it replay without it).
    how_to_confidence_threshold: float | None = Field(default=0.5, ge=0.0, le=1.0)
    # Categories otherwise always reviewed whose answered how-tos may go out alone
    # ("where do I download my invoices?"; a dispute or a refund demand is no how-to).
    how_to_categories: list[Category] = Field(default_factory=list)
    # Languages whose problem-report checks exist; a message in any other waits for a
    # human. None: any language.
    checked_languages: list[str] | None = Field(default_factory=lambda: ["en", "de", "fr", "es"])
    # At most this many automatic replies per sender per window; more wait for a human.
    auto_reply_limit: int = Field(default=3, ge=0)
    auto_reply_window: timedelta = timedelta(hours=24)
    # Per registrable domain and for the whole inbox, per auto_reply_budget_window.
    auto_reply_domain_limit: int = Field(default=DEFAULT_DOMAIN_LIMIT, ge=0)
    auto_reply_inbox_limit: int = Field(default=DEFAULT_INBOX_LIMIT, ge=0)
    auto_reply_budget_window: timedelta = DEFAULT_BUDGET_WINDOW
    # Signs the holding reply the workflow falls back to when drafting fails: the
    # workflow cannot read configuration, so the brand travels with its input.
    brand_name: str = Field(default=DEFAULT_BRAND_NAME, min_length=1, max_length=200)


class ThreadRequest(BaseModel):
    inbox_id: str
    thread_id: str
    message_id: str  # the message being triaged: it and anything after it are left out
    budget_chars: int = 6_000
    # The customer whose thread this is (the message's sender). Set: the view holds only
    # that customer's messages and our replies to them (triage.senders.same_customer).
    # None (workflows started before): every message of the thread.
    customer: str | None = None


class ThreadView(BaseModel):
    """A message's place in its thread, read over REST."""

    earlier: list[ThreadEntry] = Field(default_factory=list)  # cut to the budget
    earlier_inbound_ids: list[str] = Field(default_factory=list)  # every earlier customer message
    later_inbound_ids: list[str] = Field(default_factory=list)  # customer messages that came after
    # Other senders who wrote into the thread (their mailboxes, never their text), and
    # their earlier messages: each is its own review, and each is told of the other.
    other_participants: list[str] = Field(default_factory=list)
    other_inbound_ids: list[str] = Field(default_factory=list)


class JoinConversation(BaseModel):
    """A follow-up joins its thread's conversation."""

    inbox_id: str
    thread_id: str
    message_id: str
    workflow_id: str
    received_at: datetime | None = None
    closing: bool = False
    # The workflows of the thread's earlier customer messages: superseded when the
    # conversation starts (the first message of a thread never joins: it costs nothing).
    earlier_workflow_ids: list[str] = Field(default_factory=list)
    # The sender: the conversation is this customer's in this thread (None: the whole
    # thread's, as workflows started before issue 27 joined).
    customer: str | None = None


class ConversationTurn(BaseModel):
    """What joining told the message's workflow."""

    # The workflow of the earlier message whose review this message closed, if any.
    superseded: str | None = None
    # A newer message of the thread already took over: this one closes at once.
    superseded_by: str | None = None
    earlier: int = 0  # messages of this thread triaged before this one


class NewParticipant(BaseModel):
    """Signal to an open triage workflow: another sender wrote into its thread."""

    mailbox: str
    message_id: str


class Supersede(BaseModel):
    """Signal to an open triage workflow: a newer message of its thread takes over."""

    by_message_id: str
    by_workflow_id: str
    no_reply_needed: bool = False  # the newer message was a thank-you: close the same way


class ReserveAutoReply(BaseModel):
    """Ask the sender's counter for one automatic reply."""

    inbox_id: str
    sender: str  # the reply address as the message gave it; the activity counts its mailbox
    workflow_id: str
    limit: int = Field(ge=0)
    window: timedelta
    # The domain and inbox budgets (None: workflows started before them count the sender only).
    domain_limit: int | None = Field(default=None, ge=0)
    inbox_limit: int | None = Field(default=None, ge=0)
    budget_window: timedelta | None = None
    # What the counter counts (triage.senders.budgets, filled in by the activity): all must
    # have room. Empty: the one per-sender budget above, keyed by ``sender``.
    budgets: list[Budget] = Field(default_factory=list)


class AutoReplyAllowance(BaseModel):
    allowed: bool
    used: int
    limit: int
    budget: str = MAILBOX  # which budget was full (triage.senders: mailbox, domain, inbox)
    key: str | None = None  # what it counts, e.g. "domain:example.org"


class MessageContext(BaseModel):
    """Facts about a message's conversation and sender, for the send policy."""

    follow_up: bool = False  # the thread has earlier messages
    # Someone else wrote into this customer's thread (or this sender into someone else's):
    # their mailboxes. A human looks before anything goes out.
    other_participants: list[str] = Field(default_factory=list)
    auto_reply_limit_reached: AutoReplyAllowance | None = None


class AutonomyMode(StrEnum):
    """May the policy's choice to send go out alone? (triage.autonomy: how a mode is earned)"""

    REVIEW = "review"  # a human sees everything
    SHADOW = "shadow"  # what the policy would send waits for a human, marked so
    AUTO = "auto"  # the policy decides and sends


class ModeSource(StrEnum):
    DEFAULT = "default"  # nothing configured: the seed's behaviour (auto)
    CONFIG = "config"  # TRIAGE_AUTONOMY or the config file
    SET = "set"  # a person changed it (CLI, dashboard, API)
    PROMOTED = "promoted"  # earned: enough agreeing shadow verdicts
    DEMOTED = "demoted"  # a reviewer flagged an automatic reply


class ModeInForce(BaseModel):
    mode: AutonomyMode
    scope: str  # whose setting decided: "article:ID", "category:NAME" or "default"
    source: ModeSource


class PolicyDecision(BaseModel):
    auto_send: bool
    reasons: list[str] = Field(default_factory=list)
    answer: KbAnswer | None = None  # what the decision read: shown to reviewers
    # Every check passed: the policy would send it. Only the autonomy mode can still hold it.
    would_auto_send: bool = False
    mode: ModeInForce | None = None  # the mode read (only when the policy would send)

    @property
    def main_reason(self) -> str | None:
        """Why it waits, in one reason: ``triage.policy.decide`` puts the cause first."""
        return self.reasons[0] if self.reasons else None

    @property
    def also(self) -> list[str]:
        return self.reasons[1:]


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
