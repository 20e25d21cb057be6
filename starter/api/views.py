"""What the dashboard's pages show, computed from a review's state: rows, deadlines, labels.

Plain functions and dataclasses with no routes, so the templates stay dumb.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starter.api.sanitize import sanitize_email_html, url_scheme
from starter.review import ReviewSummary
from triage.domain.autonomy import ModeChange
from triage.domain.models import AutonomyMode, Category, ModeInForce, ReviewAction, TriageState, TriageStatus
from triage.domain.render import text_to_html
from triage.domain.urgency import Urgency, urgency_of
from triage.runtime.config import Settings

SLA_SOON = timedelta(hours=4)
# Shown inside the sandboxed iframe: the email and the reply, with the email stylesheet only.
_EMAIL_FRAME = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="/static/email.css"></head><body>{}</body></html>'
)


def email_document(source: str) -> str:
    return _EMAIL_FRAME.format(sanitize_email_html(source))


def draft_document(state: TriageState) -> str | None:
    """The reply's HTML part as the customer gets it (rendered from the text after an edit)."""
    if state.draft_html is None and not state.draft_body:
        return None
    html = state.draft_html if state.draft_html is not None else text_to_html(state.draft_body or "")
    return email_document(html)


# ---- times, numbers, links ---------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration(delta: timedelta) -> str:
    """``2d 3h``, ``4h 12m``, ``5m``; under a minute, ``""`` (the callers say "just now" or "due now")."""
    seconds = abs(int(delta.total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes % 60}m"
    return f"{minutes}m" if minutes else ""


def ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    span = duration(_now() - aware(moment))
    return f"{span} ago" if span else "just now"


def countdown(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    left = aware(moment) - _now()
    span = duration(left)
    if not span:
        return "due now"
    return f"in {span}" if left.total_seconds() >= 0 else f"overdue {span}"


def timestamp(moment: datetime | None) -> str:
    return aware(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def iso(moment: datetime | None) -> str:
    return aware(moment).isoformat() if moment else ""


def percent(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


def safe_link(url: str | None) -> str | None:
    """KB links are rendered as <a href>: only http(s) or site-relative ones."""
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if url_scheme(url) in {"http", "https"} else None


def digest(text: str | None) -> str:
    """Fingerprint of the draft a form was rendered with (to tell an edited textarea)."""
    return hashlib.sha256(normalize(text or "").encode()).hexdigest()


def normalize(text: str) -> str:
    # Browsers submit textarea content with CRLF line breaks.
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---- deadlines and rows -------------------------------------------------------------


@dataclass
class Deadline:
    at: datetime
    kind: str  # "reminder" | "expiry"

    @property
    def level(self) -> str:
        left = aware(self.at) - _now()
        if left.total_seconds() < 0:
            return "overdue"
        return "soon" if left < SLA_SOON else "ok"


def deadline_for(
    state: TriageState | None, started_at: datetime | None, settings: Settings
) -> Deadline | None:
    """The next review deadline: the reminder, then (once reminded) the expiry."""
    if state is not None:
        if state.reminder_at and not state.reminded:
            return Deadline(state.reminder_at, "reminder")
        if state.expires_at:
            return Deadline(state.expires_at, "expiry")
    start = (state.review_started_at or state.started_at) if state else started_at
    return Deadline(start + settings.review_reminder_after, "reminder") if start else None


@dataclass
class QueueRow:
    workflow_id: str
    category: str | None
    confidence: float | None
    received_at: datetime | None
    sender: str
    subject: str
    deadline: Deadline | None
    flags: list[str]
    revision: int | None
    main_reason: str  # the policy's first reason: why it waits
    urgency: Urgency


def queue_row(summary: ReviewSummary, state: TriageState | None, settings: Settings) -> QueueRow:
    classification = state.classification if state else None
    category = classification.category if classification else summary.category
    return QueueRow(
        workflow_id=summary.workflow_id,
        category=category.value if category else None,
        confidence=classification.confidence if classification else summary.confidence,
        received_at=(state.message.received_at or state.started_at) if state else summary.started_at,
        sender=state.message.from_address if state else "",
        subject=state.message.subject if state else "",
        deadline=deadline_for(state, summary.started_at, settings),
        flags=[flag.value for flag in classification.guard_flags] if classification else [],
        revision=state.revision if state else None,
        main_reason=(state.policy_decision.main_reason or "") if state and state.policy_decision else "",
        urgency=urgency_of(classification.guard_flags if classification else []),
    )


def queue_order(rows: list[QueueRow]) -> list[QueueRow]:
    """Most urgent first (``triage.domain.urgency``), the oldest first within each tier."""
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda row: (row.urgency, aware(row.received_at) if row.received_at else oldest))


@dataclass
class HistoryRow:
    workflow_id: str
    outcome: str
    label: str
    who: str
    when: datetime | None
    category: str | None
    sender: str
    subject: str


def history_row(summary: ReviewSummary, state: TriageState | None) -> HistoryRow:
    status_ = state.status if state else summary.status
    outcome = status_.value if status_ else "unknown"
    text = label(outcome)
    decisions = state.decisions if state else []
    if status_ is TriageStatus.SENT:
        actions = {record.decision.action for record in decisions}
        edited = ReviewAction.EDIT in actions or any(
            r.decision.action is ReviewAction.APPROVE and r.decision.body is not None for r in decisions
        )
        how = "edited" if edited else "redrafted" if ReviewAction.REDRAFT in actions else "approved"
        text = f"Sent ({how})"
    if decisions:
        who = decisions[-1].decision.reviewer
    elif status_ is TriageStatus.AUTO_SENT:
        who = "auto"
    else:
        who = summary.reviewer or "—"
    category = summary.category.value if summary.category else None
    return HistoryRow(
        workflow_id=summary.workflow_id,
        outcome=outcome,
        label=text,
        who=who,
        when=(state.finished_at if state and state.finished_at else summary.closed_at),
        category=category,
        sender=state.message.from_address if state else "",
        subject=state.message.subject if state else "",
    )


# ---- earned autonomy -----------------------------------------------------------------


def held_by_mode(state: TriageState) -> ModeInForce | None:
    """The shadow or review mode that held a reply the policy would have sent alone."""
    decision = state.policy_decision
    if decision is None or not decision.would_auto_send or decision.mode is None:
        return None
    return decision.mode if decision.mode.mode is not AutonomyMode.AUTO else None


def category_now(state: TriageState) -> Category | None:
    """The category a reviewer last gave it, else the classifier's."""
    if state.corrected_category is not None:
        return state.corrected_category
    return state.classification.category if state.classification else None


def latest_changes(changes: list[ModeChange]) -> dict[str, ModeChange]:
    """Each scope's last change of mode (``changes`` oldest first): since when it is in its mode."""
    return {change.scope: change for change in changes}


def change_text(change: ModeChange) -> str:
    """``article:password-reset: auto -> shadow (demoted)``"""
    return f"{change.scope}: {change.old.value} -> {change.new.value} ({change.source.value})"


# ---- labels -----------------------------------------------------------------------

_LABELS = {"faq": "FAQ", "feature_request": "Feature request", "auto_sent": "Auto-sent"}


def label(value: str | None) -> str:
    """``feature_request`` -> ``Feature request`` for categories and statuses."""
    if not value:
        return "—"
    return _LABELS.get(value, value.replace("_", " ").capitalize())
