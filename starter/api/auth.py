"""Who is calling: bearer tokens for the JSON API, server-side sessions for the dashboard.

Reviewer tokens come from ``TRIAGE_REVIEWERS`` (``name:token`` or
``name:token:role`` entries) and are re-read on every request, so removing a
token revokes both its API access and every dashboard session opened with it,
and changing its role takes effect at once. A role (``triage.domain.models.Role``)
decides what a caller may do: ``api_admin`` and ``dashboard_admin`` refuse
anyone but an admin with 403 and the reason. The reviewer recorded in a workflow by
this app is always the one resolved here, never a name taken from a request
body (anyone with Temporal access can still decide directly: see the README).

Dashboard sessions live in Temporal (``starter.api.sessions``): the signed
cookie carries only a random session id and the CSRF token, so logging out,
or revoking a session from the sessions page or the API, ends it on every
replica, a copied cookie included, and an API restart ends none. Sessions
opened by single sign-on (``starter.api.signon``) keep the role the identity
provider gave. Sessions end after ``SESSION_MAX_AGE``, or ``SESSION_IDLE``
without use.

Failed sign-ins and rejected bearer tokens are logged (client, reviewer name
if one was given, never the token) and throttled per client and per named
reviewer (``LoginThrottle``, its failures kept in Temporal too): past a few
failures each further attempt waits exponentially longer.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import NamedTuple

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from starter.api.errors import ApiError, ApiErrorKind
from starter.api.gateway import link_of
from starter.api.sessions import SESSION_MAX_AGE, Session, SessionStore
from starter.api.throttle import LoginThrottle
from triage.domain.models import Role
from triage.runtime.asgi_server import StartRefused
from triage.runtime.config import ROLE_NAMES, Settings

__all__ = ["SESSION_MAX_AGE", "LoginThrottle", "Session", "SessionStore"]

log = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="A reviewer token from TRIAGE_REVIEWERS.")

SESSION_ID = "sid"
SESSION_CSRF = "csrf"
SESSION_SEEN = "seen"
SESSION_SCOPE_KEY = "triage.session"
CSRF_FIELD = "csrf_token"

MIN_TOKEN_CHARS = 24


class Identity(NamedTuple):
    """Who is calling and what they may do."""

    name: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


# ---- configuration check (start-up) -------------------------------------------------


def token_problems(settings: Settings) -> list[str]:
    """What is wrong with ``TRIAGE_REVIEWERS`` (reviewer names only, never tokens)."""
    problems: list[str] = []
    seen: dict[str, str] = {}
    for entry in settings.reviewers.get_secret_value().split(","):
        name, sep, token = entry.strip().partition(":")
        name, token = name.strip(), token.strip()
        if not entry.strip():
            continue
        if not sep or not name or not token:
            problems.append("an entry is not name:token or name:token:role")
            continue
        head, colon, role = token.rpartition(":")
        if colon and role.strip() in ROLE_NAMES:
            token = head.strip()
        elif colon and role.strip().isalpha() and len(role.strip()) <= 12:  # a misspelt role, not a token
            problems.append(f"{name!r} has the role {role.strip()!r}; roles: {', '.join(sorted(ROLE_NAMES))}")
            continue
        if len(token) < MIN_TOKEN_CHARS:
            problems.append(
                f"the token of {name!r} has {len(token)} characters, fewer than {MIN_TOKEN_CHARS}"
            )
        if token in seen and seen[token] != name:
            problems.append(f"{seen[token]!r} and {name!r} share a token")
        seen.setdefault(token, name)
    return problems


def check_reviewer_tokens(settings: Settings) -> None:
    """Refuse to start with guessable or ambiguous reviewer tokens."""
    problems = token_problems(settings)
    if problems:
        raise StartRefused(
            "TRIAGE_REVIEWERS: " + "; ".join(problems) + ". Generate tokens with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def identity_for_token(settings: Settings, token: str) -> Identity | None:
    """Whom a token belongs to, and their role, compared in constant time.

    Every configured token is compared (no early exit), so the response time
    says nothing about which token, or how much of one, was right.
    """
    found: Identity | None = None
    candidate = token.encode()
    for entry in settings.reviewer_entries():
        if hmac.compare_digest(candidate, entry.token.encode()):
            found = Identity(entry.name, entry.role)
    return found


def reviewer_for_token(settings: Settings, token: str) -> str | None:
    """The reviewer a token belongs to (see ``identity_for_token``)."""
    identity = identity_for_token(settings, token)
    return identity.name if identity else None


def role_for_token(settings: Settings, name: str, token_fp: str, store: SessionStore) -> Role | None:
    """The role of ``name``'s token with this fingerprint, if it is still configured."""
    found: Role | None = None
    for entry in settings.reviewer_entries():
        if hmac.compare_digest(store.fingerprint(entry.token), token_fp) and entry.name == name:
            found = entry.role
    return found


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def client_of(request: Request) -> str:
    """The caller's address (uvicorn resolves trusted proxy headers into it)."""
    return request.client.host if request.client else "unknown"


def _throttled(wait: float) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many failed attempts from here; retry in {int(wait) + 1} s",
        headers={"Retry-After": str(int(wait) + 1)},
    )


def throttle_of(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


# ---- bearer tokens (API) ----------------------------------------------------------


async def api_identity(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> Identity:
    """FastAPI dependency for ``/api/*``: who calls, 401, or 429 after repeated failures."""
    if credentials is not None:
        throttle = throttle_of(request)
        keys = throttle.keys(client_of(request))
        async with link_of(request).errors():
            check = await throttle.check(keys)
        if check.wait > 0:
            log.warning(
                "bearer token from %s not checked: throttled for %.0f s", client_of(request), check.wait
            )
            raise _throttled(check.wait)
        identity = identity_for_token(_settings(request), credentials.credentials)
        if identity is not None:
            if check.failures:
                async with link_of(request).errors():
                    await throttle.succeeded(keys)
            return identity
        async with link_of(request).errors():
            count = await throttle.failed(keys)
        log.warning(
            "rejected bearer token from %s on %s %s (%d recent failures)",
            client_of(request),
            request.method,
            request.url.path,
            count,
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


def api_reviewer(identity: Identity = Depends(api_identity)) -> str:
    """FastAPI dependency for ``/api/*`` routes any role may use: the caller's name."""
    return identity.name


def admins_only(identity: Identity, what: str) -> None:
    """403 with the reason unless ``identity`` is an admin."""
    if not identity.is_admin:
        raise ApiError(
            status.HTTP_403_FORBIDDEN,
            f"{what} is for admins; {identity.name} is a {identity.role.value}",
            ApiErrorKind.FORBIDDEN,
        )


def api_admin(what: str) -> Callable[[Identity], str]:
    """FastAPI dependency for an admin route doing ``what``: the admin's name, or 403 with the reason."""

    def admin(identity: Identity = Depends(api_identity)) -> str:
        admins_only(identity, what)
        return identity.name

    return admin


# ---- dashboard sessions ---------------------------------------------------------


def sessions_of(request: Request) -> SessionStore:
    return request.app.state.sessions


class LoginRequired(Exception):
    """Raised by dashboard routes; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def login(request: Request, token: str, claimed: str | None = None) -> str | None:
    """Open a session for ``token``'s reviewer; None for an unknown token (or another's name)."""
    identity = identity_for_token(_settings(request), token)
    if identity is None or (claimed and claimed != identity.name):
        return None
    await open_session(request, identity, token)
    return identity.name


async def open_session(request: Request, identity: Identity, token: str | None) -> None:
    """A fresh session (and CSRF token): nothing from before survives. ``token`` None: sign-on."""
    store = sessions_of(request)
    async with link_of(request).errors():
        await store.revoke(request.session.get(SESSION_ID))
        secret, session = await store.open(
            identity.name, token, client_of(request), request.headers.get("user-agent", ""), identity.role
        )
    request.session.clear()
    request.session[SESSION_ID] = secret
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    request.scope[SESSION_SCOPE_KEY] = session


async def logout(request: Request) -> None:
    async with link_of(request).errors():
        await sessions_of(request).revoke(request.session.get(SESSION_ID))
    request.scope[SESSION_SCOPE_KEY] = None
    request.session.clear()


async def resolve_session(request: Request) -> Session | None:
    """The cookie's live session, if a token session's token is still configured (with the
    role it has now). Resolved once per request, before any route (``SessionResolver``)."""
    store = sessions_of(request)
    secret = request.session.get(SESSION_ID)
    if not secret:
        return None
    session = await store.get(secret)
    if session is not None and session.token_fp:
        role = role_for_token(_settings(request), session.reviewer, session.token_fp, store)
        if role is None:
            await store.revoke(secret)
            return None
        session.role = role
    if session is not None:
        request.session[SESSION_SEEN] = int(time.time())  # re-signs the cookie: idle time starts again
    return session


def current_session(request: Request) -> Session | None:
    """The request's live session (see ``resolve_session``)."""
    return request.scope.get(SESSION_SCOPE_KEY)


def session_identity(request: Request) -> Identity | None:
    """The logged-in person, if their session is live (and a token session's token still configured)."""
    session = current_session(request)
    return Identity(session.reviewer, session.role) if session else None


def session_reviewer(request: Request) -> str | None:
    identity = session_identity(request)
    return identity.name if identity else None


def dashboard_identity(request: Request) -> Identity:
    """FastAPI dependency for dashboard pages: who is signed in, or a redirect to log in."""
    identity = session_identity(request)
    if identity is None:
        # After login, come back to the page; a form's POST target is no page to land on.
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path if request.method == "GET" else "/")
    return identity


def dashboard_reviewer(identity: Identity = Depends(dashboard_identity)) -> str:
    return identity.name


def dashboard_admin(what: str) -> Callable[[Identity], str]:
    """FastAPI dependency for the dashboard's admin forms: the admin's name, or a 403 page."""

    def admin(identity: Identity = Depends(dashboard_identity)) -> str:
        admins_only(identity, what)
        return identity.name

    return admin


def csrf_token(request: Request, create: bool = True) -> str:
    """The session's CSRF token (created on first use, also before login, unless ``create`` is off)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
        if not create:
            return ""
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get(SESSION_CSRF)
    if (
        not isinstance(expected, str)
        or not submitted
        or not hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "The form expired or did not come from this site. Reload and retry."
        )


def safe_next(path: str | None) -> str:
    """Only same-site relative paths: ``next=//evil.example`` must not redirect away."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
