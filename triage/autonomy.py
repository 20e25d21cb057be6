"""Earned autonomy: which answers may go out alone, and the record that earns it.

A team should not switch automatic replies on faith. Every category and every
knowledge-base article has a *mode*:

* ``review``: a human sees everything, even what the policy would send;
* ``shadow``: the policy decides, but what it would have sent waits for a
  human, marked "would have been sent automatically";
* ``auto``: the policy decides and sends.

Each reply the policy would have sent is a *verdict* when its workflow closes:
approved unchanged (agree); edited, redrafted, rejected or recategorised
(disagree); expired (no verdict). An automatically sent reply that a reviewer
flags as wrong is a disagreement too. The :class:`AutonomyBook` keeps those
counts per article and per category; :func:`record_verdict` promotes a scope
from shadow to auto once it has earned it, :func:`record_flag` demotes at once.

Everything here is a pure function over plain models: the per-inbox autonomy
workflow (``workflows/autonomy.py``) holds the book and calls them, so the
rules are table-tested and replay the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from triage.models import AutonomyMode, Category, ModeInForce, ModeSource, TriageStatus


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


CATEGORY = "category"
ARTICLE = "article"


def category_scope(category: Category) -> str:
    return f"{CATEGORY}:{category.value}"


def article_scope(article_id: str) -> str:
    return f"{ARTICLE}:{article_id}"


# Scopes whose mode a person may set, at most: every category and article of a large
# knowledge base, and no more (each one is in the autonomy workflow's memo).
MAX_OVERRIDES = 300


def unknown_scope(scope: str, articles: Collection[str]) -> str | None:
    """Why a scope names nothing that exists (a category, or an article of the knowledge base), or None."""
    kind, _, name = scope.partition(":")
    if kind == CATEGORY and name not in {c.value for c in Category}:
        return f"no category {name!r} (categories: {', '.join(c.value for c in Category)})"
    if kind == ARTICLE and name not in articles:
        return f"no article {name!r} in the knowledge base"
    return None


def too_many_scopes(book: AutonomyBook, scope: str) -> str | None:
    """Why a new scope's mode cannot be set: the book already holds MAX_OVERRIDES of them."""
    overrides = overrides_of(book)
    if scope in overrides or len(overrides) < MAX_OVERRIDES:
        return None
    return f"{len(overrides)} scopes already have a mode of their own (at most {MAX_OVERRIDES})"


def scopes_of(category: Category, article_id: str | None) -> list[str]:
    """Most specific first: an article's own mode wins over its category's."""
    scopes = [article_scope(article_id)] if article_id else []
    return [*scopes, category_scope(category)]


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


MAX_CHANGES = 200


def overrides_of(book: AutonomyBook) -> dict[str, ModeInForce]:
    """Every mode a change set (set, promoted, demoted): all the mode lookup needs of the book."""
    return {
        scope: record.override for scope, record in sorted(book.scopes.items()) if record.override is not None
    }


def book_of_overrides(overrides: dict[str, ModeInForce]) -> AutonomyBook:
    return AutonomyBook(scopes={scope: ScopeRecord(override=mode) for scope, mode in overrides.items()})


def day_of(at: datetime) -> int:
    return at.toordinal()


def own_mode(book: AutonomyBook | None, settings: AutonomySettings, scope: str) -> ModeInForce | None:
    """A scope's own mode: a change recorded in the book, else the configuration."""
    record = book.scopes.get(scope) if book else None
    if record is not None and record.override is not None:
        return record.override
    configured = settings.configured(scope)
    return ModeInForce(mode=configured, scope=scope, source=ModeSource.CONFIG) if configured else None


def default_mode(settings: AutonomySettings) -> ModeInForce:
    if settings.default_mode is not None:
        return ModeInForce(mode=settings.default_mode, scope="default", source=ModeSource.CONFIG)
    return ModeInForce(mode=AutonomyMode.AUTO, scope="default", source=ModeSource.DEFAULT)


def mode_in_force(
    book: AutonomyBook | None, settings: AutonomySettings, category: Category, article_id: str | None
) -> ModeInForce:
    """The mode the policy reads: the article's own, else its category's own, else the default."""
    for scope in scopes_of(category, article_id):
        if (own := own_mode(book, settings, scope)) is not None:
            return own
    return default_mode(settings)


def _change(
    book: AutonomyBook,
    scope: str,
    old: AutonomyMode,
    new: AutonomyMode,
    source: ModeSource,
    by: str,
    at: datetime,
    why: str,
    workflow_id: str | None = None,
) -> ModeChange | None:
    if old is new:
        return None  # nothing changes, and what the scope has earned so far stands
    record = book.scopes.setdefault(scope, ScopeRecord())
    record.override = ModeInForce(mode=new, scope=scope, source=source)
    record.since_change = Tally()  # what earns the next promotion starts now
    change = ModeChange(
        scope=scope, old=old, new=new, source=source, by=by, at=at, why=why, workflow_id=workflow_id
    )
    book.changes = [*book.changes, change][-MAX_CHANGES:]
    return change


def _prune(record: ScopeRecord, today: int, window: timedelta) -> None:
    oldest = today - max(window.days, 1) + 1
    for day in [d for d in record.days if d < oldest]:
        del record.days[day]


def _count(
    book: AutonomyBook,
    scope: str,
    category: Category,
    verdict: Verdict,
    workflow_id: str,
    at: datetime,
    by: str | None,
) -> ScopeRecord:
    record = book.scopes.setdefault(scope, ScopeRecord())
    record.category = category
    today = day_of(at)
    record.days.setdefault(today, Tally()).add(verdict)
    _prune(record, today, (book.settings or AutonomySettings()).window)
    if verdict.agrees is False:
        record.last_disagreement = Disagreement(workflow_id=workflow_id, verdict=verdict, at=at, by=by)
    return record


def governing_mode(
    book: AutonomyBook, settings: AutonomySettings, scope: str, category: Category
) -> ModeInForce | None:
    """The mode a scope earns or loses on its own.

    An article is governed by what is in force for it (its own mode, else
    its category's, else the default): under ``TRIAGE_AUTONOMY=shadow`` each
    article earns its way out of shadow. A category only by a mode of its own:
    the default never makes a whole category auto at once.
    """
    if scope.startswith(ARTICLE):
        return mode_in_force(book, settings, category, scope.partition(":")[2])
    return own_mode(book, settings, scope)


def record_verdict(book: AutonomyBook, report: VerdictReport, at: datetime) -> list[ModeChange]:
    """Count one verdict in its article and category; promote what has earned it."""
    book.settings = settings = report.settings
    book.verdicts_seen += 1
    changes = []
    for scope in scopes_of(report.category, report.article_id):
        record = _count(book, scope, report.category, report.verdict, report.workflow_id, at, report.reviewer)
        governing = governing_mode(book, settings, scope, report.category)
        if report.mode is AutonomyMode.AUTO or governing is None or governing.mode is not AutonomyMode.SHADOW:
            continue  # only shadow verdicts earn a promotion; a reply sent alone is judged by a flag
        record.since_change.add(report.verdict)
        earned = record.since_change
        if (
            earned.verdicts >= settings.promote_after
            and (earned.agree_rate or 0.0) >= settings.promote_agree_rate
        ):
            why = (
                f"{earned.agree} of {earned.verdicts} shadow verdicts agreed "
                f"(at least {settings.promote_after} at {settings.promote_agree_rate:.0%} needed)"
            )
            change = _change(
                book,
                scope,
                governing.mode,
                AutonomyMode.AUTO,
                ModeSource.PROMOTED,
                "autonomy",
                at,
                why,
                report.workflow_id,
            )
            changes += [change] if change else []
    return changes


def record_flag(book: AutonomyBook, flag: FlagReport, at: datetime) -> list[ModeChange]:
    """A wrong automatic reply: its article drops to shadow at once, and a promoted category with it."""
    book.settings = settings = flag.settings
    changes = []
    why = f"{flag.by} flagged {flag.workflow_id}: should not have been sent" + (
        f" ({flag.why})" if flag.why else ""
    )
    for scope in scopes_of(flag.category, flag.article_id):
        _count(book, scope, flag.category, Verdict.FLAGGED, flag.workflow_id, at, flag.by)
        governing = governing_mode(book, settings, scope, flag.category)
        if governing is None or governing.mode is not AutonomyMode.AUTO:
            continue
        if scope.startswith(CATEGORY) and governing.source is not ModeSource.PROMOTED:
            continue  # a category a person made auto stays so; its article is demoted
        change = _change(
            book,
            scope,
            governing.mode,
            AutonomyMode.SHADOW,
            ModeSource.DEMOTED,
            flag.by,
            at,
            why,
            flag.workflow_id,
        )
        changes += [change] if change else []
    return changes


def set_mode(
    book: AutonomyBook, settings: AutonomySettings, request: ModeRequest, at: datetime
) -> ModeChange | None:
    book.settings = settings
    old = (own_mode(book, settings, request.scope) or default_mode(settings)).mode
    return _change(
        book, request.scope, old, request.mode, ModeSource.SET, request.by, at, request.why or "set by hand"
    )


def verdict_for(
    status: TriageStatus,
    revision: int,
    redrafted: bool,
    recategorised: bool,
    closed_by_reviewer: bool = False,
) -> Verdict | None:
    """How a closed review answers "was the policy right to want to send it?"."""
    match status:
        case TriageStatus.NO_REPLY_NEEDED if closed_by_reviewer:
            return Verdict.NO_REPLY
        case TriageStatus.AUTO_SENT:
            return Verdict.AUTO_SENT
        case TriageStatus.SENT if redrafted:
            return Verdict.REDRAFTED
        case TriageStatus.SENT if revision > 1:
            return Verdict.EDITED
        case TriageStatus.SENT if recategorised:
            return Verdict.RECATEGORISED
        case TriageStatus.SENT:
            return Verdict.AGREE
        case TriageStatus.REJECTED:
            return Verdict.REJECTED
        case TriageStatus.EXPIRED:
            return Verdict.EXPIRED
    return None  # superseded, closed by the conversation (a thank-you), failed: nothing was judged


class ScopeRow(BaseModel):
    """One line of ``triage autonomy`` and the dashboard's autonomy page."""

    scope: str
    kind: str
    name: str
    mode: AutonomyMode
    source: ModeSource
    shadow_verdicts: int  # shadow verdicts since the mode last changed: what promotion reads
    needed: int
    window: Tally  # every verdict in the rolling window
    agree_rate: float | None
    last_disagreement: Disagreement | None = None


def rows(
    book: AutonomyBook, settings: AutonomySettings, categories: list[Category] | None = None
) -> list[ScopeRow]:
    """Every category (or those given), then every article the book or the config knows."""
    wanted = [category_scope(c) for c in (categories if categories is not None else list(Category))]
    articles = sorted(
        {s for s in book.scopes if s.startswith(ARTICLE)} | {article_scope(a) for a in settings.articles}
    )
    result = []
    for scope in [*wanted, *articles]:
        record = book.scopes.get(scope, ScopeRecord())
        window = Tally()
        for tally in record.days.values():
            for name in Tally.model_fields:
                setattr(window, name, getattr(window, name) + getattr(tally, name))
        kind, _, name = scope.partition(":")
        if kind == ARTICLE and record.category is not None:
            current = mode_in_force(book, settings, record.category, name)
        else:
            current = own_mode(book, settings, scope) or default_mode(settings)
        result.append(
            ScopeRow(
                scope=scope,
                kind=kind,
                name=name,
                mode=current.mode,
                source=current.source,
                shadow_verdicts=record.since_change.verdicts,
                needed=settings.promote_after,
                window=window,
                agree_rate=window.agree_rate,
                last_disagreement=record.last_disagreement,
            )
        )
    return result
