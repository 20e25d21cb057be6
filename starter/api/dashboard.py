"""The reviewer dashboard: server-rendered HTML over the same Temporal operations as the API.

Pages: login, the queue of pending reviews, one review (email, classification,
draft editor, decisions), and the history of outcomes. Every POST carries the
session's CSRF token; every decision is taken as the logged-in reviewer.
Email HTML is shown only inside a sandboxed ``srcdoc`` iframe, after
``sanitize_email_html`` removed everything active or remote.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from starter.api import auth
from starter.api.routes import (
    ApiError,
    cursors_of,
    decide,
    fetch_state,
    fetch_states,
    link_of,
    list_closed,
    list_page,
)
from starter.review import ReviewSummary
from triage.config import Settings
from triage.models import Category, ReviewAction, TriageState, TriageStatus
from triage.render import text_to_html

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
QUEUE_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 50
SLA_SOON = timedelta(hours=4)

# ---- email HTML sanitiser -----------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    "a abbr address b bdi bdo big blockquote br caption center cite code col colgroup dd del "
    "dfn div dl dt em font h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small "
    "span strike strong sub sup table tbody td tfoot th thead tr tt u ul var".split()
)
_VOID_TAGS = frozenset({"br", "col", "hr", "img", "wbr"})
# Elements whose whole content goes, not only their tags.
_DROP_WITH_CONTENT = frozenset(
    "script style template iframe frame frameset object embed applet noscript noembed noframes "
    "svg math title textarea select xmp plaintext".split()
)
_GLOBAL_ATTRS = frozenset({"title", "dir", "lang", "align", "valign", "width", "height"})
_TAG_ATTRS = {
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt"}),
    "table": frozenset({"border", "cellpadding", "cellspacing", "bgcolor"}),
    "td": frozenset({"colspan", "rowspan", "bgcolor", "nowrap"}),
    "th": frozenset({"colspan", "rowspan", "bgcolor", "nowrap", "scope"}),
    "tr": frozenset({"bgcolor"}),
    "font": frozenset({"color", "size", "face"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "ul": frozenset({"type"}),
    "li": frozenset({"value"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
}
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpeg|webp);base64,[a-z0-9+/=\s]+$", re.IGNORECASE)
_EMAIL_FRAME = (
    '<!doctype html><html><head><meta charset="utf-8">'
    '<link rel="stylesheet" href="/static/email.css"></head><body>{}</body></html>'
)


def _link_ok(url: str) -> bool:
    cleaned = _URL_NOISE.sub("", url)
    return urlsplit(cleaned).scheme.lower() in _LINK_SCHEMES


class _Sanitizer(HTMLParser):
    """An allowlist rewriter: known-inert tags and attributes pass, the rest goes.

    No ``style`` (attribute or element) and no remote images: the first can
    hide or fake content, the second tells the sender that someone read the
    mail (tracking pixels). Only inline ``data:`` raster images remain.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._open: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _DROP_WITH_CONTENT:
            if tag in _DROP_WITH_CONTENT and tag not in _VOID_TAGS:
                self._skipping.append(tag)
            return
        if tag not in _ALLOWED_TAGS:
            return
        kept = "".join(
            f' {name}="{html.escape(value, quote=True)}"' for name, value in self._attrs(tag, attrs)
        )
        self.out.append(f"<{tag}{kept}>")
        if tag not in _VOID_TAGS:
            self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skipping or tag in _DROP_WITH_CONTENT:
            return  # <script/> and friends: nothing to skip past
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS and self._open and self._open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.pop()
            return
        if tag in self._open:
            # Close what the author left open inside it, so nesting stays sound.
            while self._open:
                top = self._open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.append(html.escape(data, quote=False))

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        allowed = _GLOBAL_ATTRS | _TAG_ATTRS.get(tag, frozenset())
        kept: list[tuple[str, str]] = []
        for name, value in attrs:
            if name not in allowed or value is None:
                continue
            if name == "href" and not _link_ok(value):
                continue
            if name == "src" and not _DATA_IMAGE.match(value.strip()):
                continue
            kept.append((name, value))
        if tag == "a":
            kept.append(("rel", "noopener noreferrer nofollow"))
        return kept

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self._open))


def sanitize_email_html(source: str) -> str:
    """Inert HTML for the sandboxed iframe: no script, handlers, javascript: or remote loads."""
    parser = _Sanitizer()
    parser.feed(source)
    return parser.result()


def email_document(source: str) -> str:
    return _EMAIL_FRAME.format(sanitize_email_html(source))


def draft_document(state: TriageState) -> str | None:
    """The reply's HTML part as the customer gets it (rendered from the text after an edit)."""
    if state.draft_html is None and not state.draft_body:
        return None
    return email_document(state.draft_html if state.draft_html is not None else text_to_html(state.draft_body or ""))


# ---- view helpers -------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def duration(delta: timedelta) -> str:
    seconds = abs(int(delta.total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if days:
        return f"{days}d {hours % 24}h"
    if hours:
        return f"{hours}h {minutes % 60}m"
    return f"{minutes}m" if minutes else "now"


def ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return f"{duration(_now() - _aware(moment))} ago"


def countdown(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    left = _aware(moment) - _now()
    return f"in {duration(left)}" if left.total_seconds() >= 0 else f"overdue {duration(left)}"


def timestamp(moment: datetime | None) -> str:
    return _aware(moment).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def iso(moment: datetime | None) -> str:
    return _aware(moment).isoformat() if moment else ""


def percent(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


def safe_link(url: str | None) -> str | None:
    """KB links are rendered as <a href>: only http(s) or site-relative ones."""
    if not url:
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if urlsplit(_URL_NOISE.sub("", url)).scheme.lower() in {"http", "https"} else None


def digest(text: str | None) -> str:
    """Fingerprint of the draft a form was rendered with (to tell an edited textarea)."""
    return hashlib.sha256(_normalize(text or "").encode()).hexdigest()


def _normalize(text: str) -> str:
    # Browsers submit textarea content with CRLF line breaks.
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class Deadline:
    at: datetime
    kind: str  # "reminder" | "expiry"

    @property
    def level(self) -> str:
        left = _aware(self.at) - _now()
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
    )


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


# ---- templates ----------------------------------------------------------------------

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
)
_LABELS = {"faq": "FAQ", "feature_request": "Feature request", "auto_sent": "Auto-sent"}


def label(value: str | None) -> str:
    """``feature_request`` -> ``Feature request`` for categories and statuses."""
    if not value:
        return "—"
    return _LABELS.get(value, value.replace("_", " ").capitalize())


templates.env.filters.update(
    ago=ago, countdown=countdown, timestamp=timestamp, iso=iso, percent=percent, label=label
)
templates.env.globals.update(safe_link=safe_link, categories=[c.value for c in Category])


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    touch_session: bool = True,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = dict(context or {})
    context.setdefault("reviewer", auth.session_reviewer(request))
    context["csrf_token"] = auth.csrf_token(request, create=touch_session)
    context["flashes"] = request.session.pop("flash", []) if touch_session else []
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error page that never writes the session.

    A cross-site POST arrives without the (SameSite=Lax) cookie; a page that
    created a session then would answer with a new cookie and so replace, that
    is end, the reviewer's real session. Nothing written: no Set-Cookie.
    """
    return render(
        request, "error.html", {"status_code": status_code, "message": message}, status_code,
        touch_session=False,
    )


def flash(request: Request, level: str, text: str) -> None:
    request.session.setdefault("flash", []).append({"level": level, "text": text})
    request.session.modified = True  # the list was changed in place


def _settings(request: Request) -> Settings:
    return request.app.state.settings


# ---- routes -------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[str, Depends(auth.dashboard_reviewer)]
FormText = Annotated[str | None, Form()]


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> Response:
    if auth.session_reviewer(request):
        return RedirectResponse(auth.safe_next(next), status.HTTP_303_SEE_OTHER)
    return render(request, "login.html", {"next": auth.safe_next(next)})


@router.post("/login")
async def login_submit(
    request: Request,
    token: FormText = None,
    csrf_token: FormText = None,
    next: FormText = "/",
    name: FormText = None,
) -> Response:
    auth.check_csrf(request, csrf_token)
    claimed = (name or "").strip()[:200] or None
    client = auth.client_of(request)
    throttle = auth.throttle_of(request)
    keys = throttle.keys(client, claimed)
    context = {"next": auth.safe_next(next), "name": claimed or ""}
    wait = throttle.retry_after(keys)
    if wait > 0:
        log.warning("sign-in from %s (name %r) not checked: throttled for %.0f s", client, claimed, wait)
        seconds = int(wait) + 1
        return render(
            request,
            "login.html",
            {**context, "error": f"Too many failed sign-ins. Try again in {seconds} seconds."},
            status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(seconds)},
        )
    reviewer = auth.login(request, (token or "").strip(), claimed)
    if reviewer is None:
        count = throttle.failed(keys)
        log.warning("failed sign-in from %s (name %r; %d recent failures)", client, claimed, count)
        return render(
            request,
            "login.html",
            {**context, "error": "That token is not valid."},
            status.HTTP_401_UNAUTHORIZED,
        )
    throttle.succeeded(keys)
    log.info("%s signed in from %s", reviewer, client)
    flash(request, "ok", f"Signed in as {reviewer}.")
    return RedirectResponse(auth.safe_next(next), status.HTTP_303_SEE_OTHER)


@router.post("/logout")
async def logout(request: Request, csrf_token: FormText = None) -> Response:
    auth.check_csrf(request, csrf_token)
    auth.logout(request)
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(request: Request, reviewer: Reviewer) -> Response:
    """The reviewer's own open sessions, each revocable."""
    current = auth.current_session(request)
    rows = sorted(auth.sessions_of(request).of(reviewer), key=lambda s: s.last_seen_at, reverse=True)
    return render(
        request,
        "sessions.html",
        {
            "sessions": [
                {
                    "id": s.id,
                    "current": current is not None and s.id == current.id,
                    "client": s.client,
                    "user_agent": s.user_agent,
                    "created_at": datetime.fromtimestamp(s.created_at, UTC),
                    "last_seen_at": datetime.fromtimestamp(s.last_seen_at, UTC),
                }
                for s in rows
            ]
        },
    )


@router.post("/sessions/revoke")
async def revoke_sessions(
    request: Request, reviewer: Reviewer, csrf_token: FormText = None, session_id: FormText = None
) -> Response:
    """Sign out one session (``session_id``) or, without one, every other session."""
    auth.check_csrf(request, csrf_token)
    store = auth.sessions_of(request)
    current = auth.current_session(request)
    if session_id:
        if store.revoke_id(reviewer, session_id):
            flash(request, "ok", "That session is signed out.")
        if current is not None and session_id == current.id:
            request.session.clear()
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    else:
        count = store.revoke_all(reviewer, keep=current.id if current else None)
        flash(request, "ok", f"Signed out {count} other session{'s' if count != 1 else ''}.")
    return RedirectResponse("/sessions", status.HTTP_303_SEE_OTHER)


@router.get("/", response_class=HTMLResponse)
async def queue(
    request: Request,
    reviewer: Reviewer,
    category: Category | None = None,
    cursor: str | None = None,
) -> Response:
    link = link_of(request)
    summaries, token = await list_page(
        link,
        status_filter=TriageStatus.AWAITING_REVIEW,
        category=category,
        limit=QUEUE_PAGE_SIZE,
        page_token=cursors_of(request).decode(cursor),
    )
    states = await fetch_states(link, [s.workflow_id for s in summaries])
    rows = [
        queue_row(summary, states[summary.workflow_id], _settings(request))
        for summary in summaries
        # Visibility lags a moment behind a decision; the query does not.
        if (state := states[summary.workflow_id]) is None or state.status is TriageStatus.AWAITING_REVIEW
    ]
    far_future = datetime.max.replace(tzinfo=UTC)
    rows.sort(key=lambda row: _aware(row.deadline.at) if row.deadline else far_future)
    return render(
        request,
        "queue.html",
        {
            "rows": rows,
            "category": category.value if category else None,
            "next_cursor": cursors_of(request).encode(token),
        },
    )


@router.get("/history", response_class=HTMLResponse)
async def history(request: Request, reviewer: Reviewer, cursor: str | None = None) -> Response:
    link = link_of(request)
    cursors = cursors_of(request)
    summaries, token = await list_closed(link, limit=HISTORY_PAGE_SIZE, page_token=cursors.decode(cursor))
    states = await fetch_states(link, [s.workflow_id for s in summaries])
    rows = [history_row(summary, states[summary.workflow_id]) for summary in summaries]
    oldest = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda row: _aware(row.when) if row.when else oldest, reverse=True)
    return render(request, "history.html", {"rows": rows, "next_cursor": cursors.encode(token)})


def _review_context(state: TriageState, settings: Settings) -> dict[str, Any]:
    message = state.message
    return {
        "state": state,
        "message": message,
        "classification": state.classification,
        "is_open": state.status is TriageStatus.AWAITING_REVIEW,
        "email_html": email_document(message.html_body) if message.html_body else None,
        "draft_html": draft_document(state),
        "draft_digest": digest(state.draft_body),
        "deadline": deadline_for(state, state.started_at, settings)
        if state.status is TriageStatus.AWAITING_REVIEW
        else None,
    }


@router.get("/reviews/{workflow_id}", response_class=HTMLResponse)
async def review_page(request: Request, reviewer: Reviewer, workflow_id: str) -> Response:
    state = await fetch_state(link_of(request), workflow_id)
    return render(request, "review.html", _review_context(state, _settings(request)))


_CONFLICT_HELP = {
    "StaleRevision": "The draft changed since you opened this page (someone edited or redrafted it). "
    "Review the current draft below, then decide again.",
    "ReviewClosed": "Someone else already decided this review.",
    "ReviewBusy": "Another decision on this review is being applied right now. Wait a moment and reload.",
}


@router.post("/reviews/{workflow_id}/{action}")
async def review_action(
    request: Request,
    reviewer: Reviewer,
    workflow_id: str,
    action: ReviewAction,
    csrf_token: FormText = None,
    revision: FormText = None,
    body: FormText = None,
    draft_digest: FormText = None,
    reason: FormText = None,
    instructions: FormText = None,
) -> Response:
    auth.check_csrf(request, csrf_token)
    link = link_of(request)
    review_url = f"/reviews/{workflow_id}"
    text = _normalize(body) if body is not None else None
    changed = text is not None and digest(text) != draft_digest
    try:
        rev = int(revision) if revision else None
    except ValueError:
        rev = None
    problem: str | None = None
    if rev is None or rev < 1:
        problem = "The form did not say which revision it was for. Reload the page."
    elif action in (ReviewAction.APPROVE, ReviewAction.EDIT) and text is not None and not text.strip():
        problem = "The reply is empty."
    elif action is ReviewAction.EDIT and not changed:
        flash(request, "info", "Nothing to save: the draft is unchanged.")
        return RedirectResponse(review_url, status.HTTP_303_SEE_OTHER)
    elif action is ReviewAction.REJECT and not (reason or "").strip():
        problem = "Say why you reject it (the reason is recorded)."
    elif action is ReviewAction.REDRAFT and not (instructions or "").strip():
        problem = "Tell the model what to change in the new draft."
    if problem:
        return await _rerender(request, workflow_id, problem, status.HTTP_422_UNPROCESSABLE_CONTENT, text)

    # Approve sends the textarea's text only when the reviewer changed it.
    send_text = action is ReviewAction.EDIT or (action is ReviewAction.APPROVE and changed)
    try:
        outcome = await decide(
            link,
            workflow_id,
            action,
            reviewer,
            revision=rev,
            body=text if send_text else None,
            reason=reason.strip() if action is ReviewAction.REJECT and reason else None,
            instructions=instructions.strip() if action is ReviewAction.REDRAFT and instructions else None,
        )
    except ApiError as err:
        if err.status_code == status.HTTP_404_NOT_FOUND:
            flash(request, "error", "That review no longer exists.")
            return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
        message = _CONFLICT_HELP.get(err.kind or "", "") if err.status_code == 409 else ""
        return await _rerender(
            request, workflow_id, message or str(err.detail), err.status_code, text if changed else None
        )

    match outcome.status:
        case TriageStatus.SENT:
            flash(request, "ok", "Reply sent" + (" with your edits." if changed else "."))
            return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
        case TriageStatus.REJECTED:
            flash(request, "ok", "Rejected: nothing was sent and the draft was discarded.")
            return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
        case TriageStatus.AWAITING_REVIEW if action is ReviewAction.REDRAFT:
            flash(request, "ok", f"New draft ready (revision {outcome.revision}).")
        case TriageStatus.AWAITING_REVIEW:
            flash(request, "ok", f"Draft saved (revision {outcome.revision}).")
        case _:
            flash(request, "info", f"The review is now {outcome.status.value}.")
    return RedirectResponse(review_url, status.HTTP_303_SEE_OTHER)


async def _rerender(
    request: Request, workflow_id: str, problem: str, status_code: int, kept_text: str | None
) -> Response:
    """Show the review again with the problem, keeping the reviewer's unsaved text."""
    try:
        state = await fetch_state(link_of(request), workflow_id)
    except ApiError as err:
        return error_page(request, err.status_code, f"{problem} ({err.detail})")
    context = _review_context(state, _settings(request))
    context.update(problem=problem, kept_text=kept_text if kept_text != state.draft_body else None)
    return render(request, "review.html", context, status_code)


# ---- API reference ------------------------------------------------------------------


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    """The OpenAPI document as a readable page, with no remote scripts."""
    return render(request, "docs.html", {"operations": _operations(request.app.openapi())})


def _schema_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in schema:  # Optional bodies: take the object variant
        objects = [s for s in schema["anyOf"] if "$ref" in s or s.get("type") == "object"]
        return _schema_fields(objects[0], components) if objects else []
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_name(prop, components),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _type_name(schema: dict[str, Any], components: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        target = components.get(name, {})
        return _type_name(target, components) if "enum" in target else name
    if "anyOf" in schema:
        return " | ".join(_type_name(s, components) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(map(str, schema["enum"]))
    if schema.get("type") == "array":
        return f"list[{_type_name(schema.get('items', {}), components)}]"
    return str(schema.get("type", "any"))


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    components = spec.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_name(p.get("schema", {}), components),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _schema_fields(body, components) if body else None,
                    "body_required": op.get("requestBody", {}).get("required", False),
                    "responses": [
                        {"code": code, "description": r.get("description", "")}
                        for code, r in sorted(op.get("responses", {}).items())
                    ],
                }
            )
    return operations
