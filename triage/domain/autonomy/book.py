"""The autonomy book: verdicts and their tallies per scope, mode changes, and the reports that fill it.

Plain pydantic models, carried in the autonomy workflow's state (``workflows/autonomy.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from triage.domain.autonomy.scopes import ARTICLE
from triage.domain.models import AutonomyMode, Category, ModeInForce, ModeSource


class Verdict(StrEnum):
    AGREE = "agree"  # approved unchanged
    EDITED = "edited"
    REDRAFTED = "redrafted"
    REJECTED = "rejected"
    NO_REPLY = "no_reply"  # closed by a reviewer without a reply: the drafted reply was not wanted
    RECATEGORISED = "recategorised"  # approved, but the category was corrected
    FLAGGED = "flagged"  # sent automatically, then marked "should not have been sent"
    EXPIRED = "expired"  # no verdict: nobody decided in time
    AUTO_SENT = "auto_sent"  # sent alone: counted, judged only if flagged later

    @property
    def agrees(self) -> bool | None:
        """True or False for a verdict on the policy's choice, None for no verdict."""
        if self is Verdict.AGREE:
            return True
        if self in (Verdict.EXPIRED, Verdict.AUTO_SENT):
            return None
        return False


class AutonomySettings(BaseModel):
    """What the configuration says; the book's changes take precedence."""

    default_mode: AutonomyMode | None = None  # TRIAGE_AUTONOMY: every scope not set below
    categories: dict[Category, AutonomyMode] = Field(default_factory=dict)
    articles: dict[str, AutonomyMode] = Field(default_factory=dict)
    promote_after: int = Field(default=30, ge=1)  # shadow verdicts needed before auto
    promote_agree_rate: float = Field(default=0.97, ge=0.0, le=1.0)
    window: timedelta = timedelta(days=30)  # the rolling window the figures cover

    def configured(self, scope: str) -> AutonomyMode | None:
        kind, _, name = scope.partition(":")
        if kind == ARTICLE:
            return self.articles.get(name)
        try:
            return self.categories.get(Category(name))
        except ValueError:
            return None


class ModeChange(BaseModel):
    scope: str
    old: AutonomyMode
    new: AutonomyMode
    source: ModeSource
    by: str
    at: datetime
    why: str
    workflow_id: str | None = None  # the triage workflow that caused it, if any


class Tally(BaseModel):
    agree: int = 0
    disagree: int = 0
    expired: int = 0
    auto_sent: int = 0

    @property
    def verdicts(self) -> int:
        return self.agree + self.disagree

    @property
    def agree_rate(self) -> float | None:
        return self.agree / self.verdicts if self.verdicts else None

    def add(self, verdict: Verdict) -> None:
        match verdict.agrees:
            case True:
                self.agree += 1
            case False:
                self.disagree += 1
            case None if verdict is Verdict.EXPIRED:
                self.expired += 1
            case None:
                self.auto_sent += 1


class Disagreement(BaseModel):
    workflow_id: str
    verdict: Verdict
    at: datetime
    by: str | None = None


class ScopeRecord(BaseModel):
    days: dict[int, Tally] = Field(default_factory=dict)  # day number (UTC) -> that day's tally
    since_change: Tally = Field(default_factory=Tally)  # shadow verdicts since its mode last changed
    override: ModeInForce | None = None  # a change made here (set, promoted, demoted)
    category: Category | None = None  # an article's category, as last reported
    last_disagreement: Disagreement | None = None


class VerdictReport(BaseModel):
    """What a triage workflow reports when it closes a reply the policy would have sent."""

    inbox_id: str
    workflow_id: str
    category: Category
    article_id: str | None = None
    mode: AutonomyMode  # the mode in force when the policy decided
    verdict: Verdict
    reviewer: str | None = None
    settings: AutonomySettings = Field(default_factory=AutonomySettings)


class FlagReport(BaseModel):
    """ "This should not have been sent": a reviewer's verdict on an automatic reply."""

    inbox_id: str
    workflow_id: str
    category: Category
    article_id: str | None = None
    by: str = Field(min_length=1, max_length=200)
    why: str = Field(default="", max_length=2_000)
    settings: AutonomySettings = Field(default_factory=AutonomySettings)


class ModeRequest(BaseModel):
    """A person sets a scope's mode (CLI, dashboard, API)."""

    scope: str = Field(pattern=r"^(category|article):[A-Za-z0-9_.\-]{1,100}$")
    mode: AutonomyMode
    by: str = Field(min_length=1, max_length=200)
    why: str = Field(default="", max_length=2_000)
    settings: AutonomySettings = Field(default_factory=AutonomySettings)


class AutonomyBook(BaseModel):
    """Everything the autonomy workflow keeps; carried over continue-as-new."""

    scopes: dict[str, ScopeRecord] = Field(default_factory=dict)
    changes: list[ModeChange] = Field(default_factory=list)  # newest last, bounded
    verdicts_seen: int = 0
    # The workers' configuration (sent when a worker starts, and with every report): what
    # the CLI and the dashboard show as the modes in force. None until a worker reported.
    settings: AutonomySettings | None = None


class AutonomyState(BaseModel):
    """The autonomy workflow's input and what it carries over continue-as-new."""

    inbox_id: str
    book: AutonomyBook = Field(default_factory=AutonomyBook)
    reported: list[str] = Field(default_factory=list)  # triage workflows whose verdict counted, oldest first
    flagged: list[str] = Field(default_factory=list)  # automatic replies flagged


class ModeLookup(BaseModel):
    """What a triage workflow asks before it sends alone."""

    inbox_id: str
    category: Category
    article_id: str | None = None


def overrides_of(book: AutonomyBook) -> dict[str, ModeInForce]:
    """Every mode a change set (set, promoted, demoted): all the mode lookup needs of the book."""
    return {
        scope: record.override for scope, record in sorted(book.scopes.items()) if record.override is not None
    }


def book_of_overrides(overrides: dict[str, ModeInForce]) -> AutonomyBook:
    return AutonomyBook(scopes={scope: ScopeRecord(override=mode) for scope, mode in overrides.items()})
