"""The dashboard's sign-in: the login form (throttled), signing out, and the reviewer's own sessions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import starter.api.auth as auth
from starter.api.gateway import link_of
from starter.api.pages import FormText, Reviewer, flash, render

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


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
    async with link_of(request).errors():
        check = await throttle.check(keys)
    wait = check.wait
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
    reviewer = await auth.login(request, (token or "").strip(), claimed)
    if reviewer is None:
        async with link_of(request).errors():
            count = await throttle.failed(keys)
        log.warning("failed sign-in from %s (name %r; %d recent failures)", client, claimed, count)
        return render(
            request,
            "login.html",
            {**context, "error": "That token is not valid."},
            status.HTTP_401_UNAUTHORIZED,
        )
    if check.failures:
        async with link_of(request).errors():
            await throttle.succeeded(keys)
    log.info("%s signed in from %s", reviewer, client)
    flash(request, "ok", f"Signed in as {reviewer}.")
    return RedirectResponse(auth.safe_next(next), status.HTTP_303_SEE_OTHER)


@router.post("/logout")
async def logout(request: Request, csrf_token: FormText = None) -> Response:
    auth.check_csrf(request, csrf_token)
    await auth.logout(request)
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


@router.get("/sessions", response_class=HTMLResponse)
async def sessions_page(request: Request, reviewer: Reviewer) -> Response:
    """The reviewer's own open sessions, each revocable."""
    current = auth.current_session(request)
    async with link_of(request).errors():
        rows = sorted(await auth.sessions_of(request).of(reviewer), key=lambda s: s.created_at, reverse=True)
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
        async with link_of(request).errors():
            revoked = await store.revoke_id(reviewer, session_id)
        if revoked:
            flash(request, "ok", "That session is signed out.")
        if current is not None and session_id == current.id:
            request.session.clear()
            return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    else:
        async with link_of(request).errors():
            count = await store.revoke_all(reviewer, keep=current.id if current else None)
        flash(request, "ok", f"Signed out {count} other session{'s' if count != 1 else ''}.")
    return RedirectResponse("/sessions", status.HTTP_303_SEE_OTHER)
