"""The reviewer dashboard's review routes: server-rendered HTML over the same gateway as the API.

Pages: the queue of pending reviews, one review (email, classification, draft
editor, decisions with a category correction, "this should not have been sent"
on an automatic reply) and the history of outcomes. Signing in and the
reviewer's sessions are ``starter.api.dashboard_sessions``; earned autonomy is
``starter.api.dashboard_autonomy``.
Every POST carries the session's CSRF token; every decision is taken as the
logged-in reviewer. What a page shows is computed in ``starter.api.views``;
email HTML is shown only inside a sandboxed ``srcdoc`` iframe, after
``starter.api.sanitize`` removed everything active or remote.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import starter.api.auth as auth
from starter.api.cursors import cursors_of
from starter.api.errors import ApiError
from starter.api.gateway import (
    decide,
    fetch_state,
    fetch_states,
    flag_reply,
    link_of,
    list_closed,
    list_page,
)
from starter.api.pages import FormText, Reviewer, error_page, flash, render, settings_of
from starter.api.views import (
    aware,
    category_now,
    change_text,
    deadline_for,
    digest,
    draft_document,
    email_document,
    held_by_mode,
    history_row,
    normalize,
    queue_order,
    queue_row,
)
from triage.domain.contracts import ReviewErrorKind
from triage.domain.models import Category, ReviewAction, TriageState, TriageStatus
from triage.domain.urgency import QUEUE_ORDER
from triage.runtime.config import Settings

log = logging.getLogger(__name__)

QUEUE_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 50


router = APIRouter(include_in_schema=False)


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
        queue_row(summary, states[summary.workflow_id], settings_of(request))
        for summary in summaries
        # Visibility lags a moment behind a decision; the query does not.
        if (state := states[summary.workflow_id]) is None or state.status is TriageStatus.AWAITING_REVIEW
    ]
    return render(
        request,
        "queue.html",
        {
            "rows": queue_order(rows),
            "order": QUEUE_ORDER,
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
    rows.sort(key=lambda row: aware(row.when) if row.when else oldest, reverse=True)
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
        "held_by": held_by_mode(state),
        "category_now": category_now(state),
        "flaggable": state.status is TriageStatus.AUTO_SENT,
        "deadline": deadline_for(state, state.started_at, settings)
        if state.status is TriageStatus.AWAITING_REVIEW
        else None,
    }


@router.get("/reviews/{workflow_id}", response_class=HTMLResponse)
async def review_page(request: Request, reviewer: Reviewer, workflow_id: str) -> Response:
    state = await fetch_state(link_of(request), workflow_id)
    return render(request, "review.html", _review_context(state, settings_of(request)))


# Declared before ``/reviews/{workflow_id}/{action}``, which would take "flag" for an action.
@router.post("/reviews/{workflow_id}/flag")
async def flag_review(
    request: Request, reviewer: Reviewer, workflow_id: str, csrf_token: FormText = None, why: FormText = None
) -> Response:
    """ "This should not have been sent": the article (and a promoted category) back to shadow."""
    auth.check_csrf(request, csrf_token)
    try:
        changes = await flag_reply(link_of(request), workflow_id, reviewer, (why or "").strip()[:2_000])
    except ApiError as err:
        if err.status_code != status.HTTP_409_CONFLICT:
            raise
        flash(request, "error", f"Not flagged: {err.detail}.")
    else:
        if changes:
            flash(request, "ok", "Flagged. " + "; ".join(change_text(c) for c in changes) + ".")
        else:
            flash(request, "info", "Flagged. No mode changed (flagged before, or no longer in auto mode).")
    return RedirectResponse(f"/reviews/{workflow_id}", status.HTTP_303_SEE_OTHER)


# What a reviewer reads for each refusal that means "your page is out of date" (409).
CONFLICT_HELP: dict[str, str] = {
    ReviewErrorKind.STALE_REVISION: "The draft changed since you opened this page "
    "(someone edited or redrafted it). Review the current draft below, then decide again.",
    ReviewErrorKind.REVIEW_CLOSED: "Someone else already decided this review.",
    ReviewErrorKind.REVIEW_BUSY: "Another decision on this review is being applied right now. "
    "Wait a moment and reload.",
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
    category: FormText = None,
) -> Response:
    auth.check_csrf(request, csrf_token)
    link = link_of(request)
    review_url = f"/reviews/{workflow_id}"
    text = normalize(body) if body is not None else None
    changed = text is not None and digest(text) != draft_digest
    try:
        rev = int(revision) if revision else None
    except ValueError:
        rev = None
    correction = Category(category) if category in {c.value for c in Category} else None
    problem: str | None = None
    if category and correction is None:
        problem = "That category does not exist. Reload the page."
    elif rev is None or rev < 1:
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
            category=correction,
            body=text if send_text else None,
            reason=reason.strip() if action in (ReviewAction.REJECT, ReviewAction.CLOSE) and reason else None,
            instructions=instructions.strip() if action is ReviewAction.REDRAFT and instructions else None,
        )
    except ApiError as err:
        if err.status_code == status.HTTP_404_NOT_FOUND:
            flash(request, "error", "That review no longer exists.")
            return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
        message = CONFLICT_HELP.get(err.kind or "", "") if err.status_code == 409 else ""
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
        case TriageStatus.NO_REPLY_NEEDED:
            flash(request, "ok", "Closed: no reply needed, nothing was sent.")
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
    context = _review_context(state, settings_of(request))
    context.update(problem=problem, kept_text=kept_text if kept_text != state.draft_body else None)
    return render(request, "review.html", context, status_code)


# ---- earned autonomy ----------------------------------------------------------------
