"""The reviewer app: JSON API under /api, HTML dashboard at /, one FastAPI app.

Composition only: security headers, sessions, error rendering and the routers.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.client import Client
from temporalio.service import RPCError

import starter.api.auth as auth
import starter.api.dashboard as dashboard
import starter.api.dashboard_autonomy as dashboard_autonomy
import starter.api.dashboard_sessions as dashboard_sessions
import starter.api.docs as docs
import starter.api.retraining as retraining
import starter.api.signon as signon
from starter.api.auth import LoginRequired, LoginThrottle, SessionStore
from starter.api.cursors import CursorCodec
from starter.api.errors import ApiError, ApiErrorKind
from starter.api.gateway import TemporalLink
from starter.api.pages import error_page
from starter.api.routes import autonomy_router, health_router, router
from starter.api.sessions import SESSION_IDLE, SESSION_MAX_AGE
from starter.api.throttle import TemporalFailures
from triage.runtime.config import Settings

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"

# Email HTML is hostile input: no inline script or style anywhere, nothing remote.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}
LOGIN_WINDOW = 15 * 60  # sign-in failures count for this long
# The largest legitimate body is a 100,000-character draft, JSON- or form-encoded.
MAX_BODY_BYTES = 2 * 1024 * 1024


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimit:
    """Pure ASGI middleware bounding request bodies while they stream in.

    It runs before anything reads the body (parsing, forms, sessions, auth):
    a declared ``Content-Length`` over the limit is refused without reading a
    byte, and a body without one (chunked) is cut off as soon as the bytes
    received pass the limit. Either way the answer is 413 and the connection
    closes, so an unauthenticated client cannot make the process buffer more
    than the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False
        complete = declared == "0" or scope["method"] in ("GET", "HEAD")

        async def bounded_receive() -> Message:
            nonlocal received, complete
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if received > self.max_bytes:
                # Whatever the app made of the cut-off body (FastAPI turns a failed form
                # parse into a 400), the answer is ours: 413, and the connection closes.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, receive, send)
                return
            if message["type"] == "http.response.start":
                started = True
                if not complete:
                    # Answered before the body was read (a form parser's own limit, an
                    # error): close rather than let the server drain the rest.
                    MutableHeaders(scope=message)["connection"] = "close"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes", "kind": ApiErrorKind.TOO_LARGE},
            status_code=413,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class SecurityHeaders:
    """Pure ASGI middleware (no response buffering) adding the headers above.

    Pages and API answers carry customer mail, so nothing but static assets
    may be cached.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)


class SessionResolver:
    """Pure ASGI middleware, inside the session middleware: looks the cookie's session up
    in Temporal once per request, before any route, so that pages and dependencies
    read it without waiting (``auth.current_session``). A lookup that fails (Temporal
    away) counts as signed out: the login page then says what is wrong."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(("/static/", "/api/")):
            request = Request(scope)
            try:
                scope[auth.SESSION_SCOPE_KEY] = await auth.resolve_session(request)
            except (HTTPException, RPCError, RuntimeError, OSError) as err:
                log.warning("session not checked (%s): treated as signed out", type(err).__name__)
                scope[auth.SESSION_SCOPE_KEY] = None
        await self.app(scope, receive, send)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/api" or path == "/healthz" or path == "/openapi.json"


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        content: dict[str, object] = {"detail": exc.detail}
        if isinstance(exc, ApiError) and exc.kind:
            content["kind"] = exc.kind
        return JSONResponse(content, status_code=exc.status_code, headers=exc.headers)
    return error_page(request, exc.status_code, str(exc.detail))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    """422 with where and why, never the input itself: the default handler echoes
    it back, which leaks large bodies and fails (500) on text JSON cannot encode."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return Response(json.dumps({"detail": errors}), status_code=422, media_type="application/json")


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)


def create_app(
    settings: Settings,
    client: Client | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    login_throttle: LoginThrottle | None = None,
    session_max_age: float = SESSION_MAX_AGE,
) -> FastAPI:
    """The app; with ``client`` None it connects to Temporal on first use."""
    app = FastAPI(
        title="support-triage reviewer API",
        version="1",
        description=(
            "Review the drafts that wait for a human. Every `/api` call needs "
            "`Authorization: Bearer <token>` (a token from `TRIAGE_REVIEWERS`); the reviewer "
            "recorded on a decision is the token's owner. Decisions carry the draft `revision` "
            "they act on (default: the current one); a stale one is refused with 409."
        ),
        # FastAPI's own /docs pulls Swagger UI from a CDN, which the CSP (rightly) blocks;
        # the dashboard serves a self-contained reference at /docs instead.
        docs_url=None,
        redoc_url=None,
    )
    # Signs the session cookie (a session id and the CSRF token) and page cursors: the same
    # TRIAGE_SESSION_SECRET on every replica. Sessions and sign-in failures live in Temporal.
    secret = (
        settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    )
    app.state.settings = settings
    link = TemporalLink(settings, client)
    app.state.temporal = link
    app.state.cursors = CursorCodec(secret.encode())
    app.state.sessions = SessionStore(
        secret.encode(), link.client, settings.temporal_task_queue, session_max_age
    )
    app.state.login_throttle = login_throttle or LoginThrottle(
        store=TemporalFailures(link.client, settings.temporal_task_queue, LOGIN_WINDOW)
    )
    app.state.sign_on = signon.sign_on_client(settings)

    app.add_middleware(SessionResolver)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="triage_session",
        # The cookie's signature is timestamped and renewed on every signed-in request:
        # SESSION_IDLE without one and it is refused, on every replica.
        max_age=SESSION_IDLE,
        # Lax, not Strict: a Slack deep link (a cross-site top-level GET) must find the
        # reviewer logged in. Cross-site POSTs carry no cookie under Lax and need the CSRF token.
        same_site="lax",
        https_only=settings.public_url.startswith("https://"),
    )
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeaders)

    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(RequestValidationError, _invalid_request)

    app.include_router(health_router)
    app.include_router(router)
    app.include_router(autonomy_router)
    app.include_router(retraining.router)
    app.include_router(dashboard_sessions.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_autonomy.router)
    app.include_router(signon.router)
    app.include_router(docs.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
