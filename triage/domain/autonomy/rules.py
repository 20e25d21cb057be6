"""The rules over the book: the mode in force, what a verdict or a flag changes, what a review's end says.

Pure functions: the autonomy workflow calls them, so they replay the same way and
are table-tested (``tests/test_autonomy_rules.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from triage.domain.autonomy.book import (
    AutonomyBook,
    AutonomySettings,
    Disagreement,
    FlagReport,
    ModeChange,
    ModeRequest,
    ScopeRecord,
    Tally,
    Verdict,
    VerdictReport,
    overrides_of,
)
from triage.domain.autonomy.scopes import ARTICLE, CATEGORY, scopes_of
from triage.domain.models import AutonomyMode, Category, ModeInForce, ModeSource, TriageStatus

# Scopes whose mode a person may set, at most: every category and article of a large
# knowledge base, and no more (each one is in the autonomy workflow's memo).
MAX_OVERRIDES = 300


def too_many_scopes(book: AutonomyBook, scope: str) -> str | None:
    """Why a new scope's mode cannot be set: the book already holds MAX_OVERRIDES of them."""
    overrides = overrides_of(book)
    if scope in overrides or len(overrides) < MAX_OVERRIDES:
        return None
    return f"{len(overrides)} scopes already have a mode of their own (at most {MAX_OVERRIDES})"


MAX_CHANGES = 200


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
