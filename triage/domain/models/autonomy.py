"""Send-decision models: the policy's settings and decision, the per-sender quota, and autonomy modes.

Owned by ``triage/domain/policy.py`` (``decide``), ``triage/domain/autonomy/`` and ``triage/domain/senders.py``
(the quota's budgets).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from triage.domain.languages import checked_languages
from triage.domain.models.judgement import DEFAULT_AUTO_SEND_CATEGORIES, Category, GuardFlag, KbAnswer
from triage.domain.senders import (
    DEFAULT_BUDGET_WINDOW,
    DEFAULT_DOMAIN_LIMIT,
    DEFAULT_INBOX_LIMIT,
    MAILBOX,
    Budget,
)

# The team our fixed replies are signed by unless configured otherwise (TRIAGE_BRAND_NAME).
DEFAULT_BRAND_NAME = "Acme Help"


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
    # Languages whose problem-report checks exist (every complete language pack, see
    # triage.domain.languages); a message in any other waits for a human. None: any language.
    checked_languages: list[str] | None = Field(default_factory=lambda: list(checked_languages()))
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
    # What the counter counts (triage.domain.senders.budgets, filled in by the activity): all must
    # have room. Empty: the one per-sender budget above, keyed by ``sender``.
    budgets: list[Budget] = Field(default_factory=list)
    # Asked by the activity that shares the inbox budget over the counters (a share budget
    # may overflow to the pool; a full budget says until when). False: as before the shares.
    shared_inbox: bool = False


class AutoReplyAllowance(BaseModel):
    allowed: bool
    used: int
    limit: int
    budget: str = MAILBOX  # which budget was full (triage.domain.senders: mailbox, domain, inbox)
    key: str | None = None  # what it counts, e.g. "domain:example.org"
    # Counted here, but this counter's share of the inbox budget was used up: the pool decides.
    pool: bool = False
    # A budget that was full has room again from then on (asked with shared_inbox).
    full_until: datetime | None = None


class MessageContext(BaseModel):
    """Facts about a message's conversation and sender, for the send policy."""

    follow_up: bool = False  # the thread has earlier messages
    # Someone else wrote into this customer's thread (or this sender into someone else's):
    # their mailboxes. A human looks before anything goes out.
    other_participants: list[str] = Field(default_factory=list)
    auto_reply_limit_reached: AutoReplyAllowance | None = None


class AutonomyMode(StrEnum):
    """May the policy's choice to send go out alone? (triage.domain.autonomy: how a mode is earned)"""

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
        """Why it waits, in one reason: ``triage.domain.policy.decide`` puts the cause first."""
        return self.reasons[0] if self.reasons else None

    @property
    def also(self) -> list[str]:
        return self.reasons[1:]
