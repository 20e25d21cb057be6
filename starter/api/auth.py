"""Who is calling: bearer tokens for the JSON API, server-side sessions for the dashboard.

Reviewer tokens come from ``TRIAGE_REVIEWERS`` (``name:token`` pairs) and are
re-read on every request, so removing a token revokes both its API access and
every dashboard session opened with it. The reviewer recorded in a workflow by
this app is always the one resolved here, never a name taken from a request
body (anyone with Temporal access can still decide directly: see the README).

Dashboard sessions live on the server (``SessionStore``): the signed cookie
carries only a random session id and the CSRF token, so logging out, or
revoking a session from the sessions page or the API, ends it everywhere, a
copied cookie included. The store keeps an HMAC of each session id and of
the token it was opened with, never either in the clear. Sessions end after
``SESSION_MAX_AGE`` or ``SESSION_IDLE`` without use, and when the process
restarts.

Failed sign-ins and rejected bearer tokens are logged (client, reviewer name
if one was given, never the token) and throttled per client and per named
reviewer (``LoginThrottle``): past a few failures each further attempt waits
exponentially longer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from triage.asgi_server import StartRefused
from triage.config import Settings

log = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="A reviewer token from TRIAGE_REVIEWERS.")

SESSION_ID = "sid"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"

MIN_TOKEN_CHARS = 24
SESSION_MAX_AGE = 12 * 60 * 60  # one working day; then log in again
SESSION_IDLE = 4 * 60 * 60
MAX_SESSIONS_PER_REVIEWER = 20


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
            problems.append("an entry is not name:token")
            continue
        if len(token) < MIN_TOKEN_CHARS:
            problems.append(f"the token of {name!r} has {len(token)} characters, fewer than {MIN_TOKEN_CHARS}")
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


def reviewer_for_token(settings: Settings, token: str) -> str | None:
    """The reviewer a token belongs to, compared in constant time.

    Every configured token is compared (no early exit), so the response time
    says nothing about which token, or how much of one, was right.
    """
    found: str | None = None
    candidate = token.encode()
    for known, name in settings.reviewer_tokens().items():
        if hmac.compare_digest(candidate, known.encode()):
            found = name
    return found


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def client_of(request: Request) -> str:
    """The caller's address (uvicorn resolves trusted proxy headers into it)."""
    return request.client.host if request.client else "unknown"


# ---- throttling -------------------------------------------------------------------


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


class LoginThrottle:
    """Failures per key in a sliding window; past ``free`` of them, exponential waits.

    Keys are ``client:<address>`` and ``reviewer:<name>``. Memory is bounded:
    at most ``max_keys`` keys are remembered (the least recently failed go).
    """

    def __init__(
        self,
        free: int = 5,
        window: float = 15 * 60,
        max_delay: float = 5 * 60,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.window, self.max_delay, self.max_keys = free, window, max_delay, max_keys
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    @staticmethod
    def keys(client: str, reviewer: str | None = None) -> list[str]:
        return [f"client:{client}"] + ([f"reviewer:{reviewer}"] if reviewer else [])

    def _recent(self, key: str, now: float) -> list[float]:
        entry = self._failures.get(key)
        if entry is None:
            return []
        entry.times = [t for t in entry.times if now - t < self.window]
        if not entry.times:
            del self._failures[key]
        return entry.times

    def failures(self, key: str) -> int:
        return len(self._recent(key, self._clock()))

    def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds to wait before the next attempt may be checked (0: go ahead)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.free:
                delay = min(2.0 ** (len(times) - self.free), self.max_delay)
                wait = max(wait, times[-1] + delay - now)
        return wait

    def failed(self, keys: Iterable[str]) -> int:
        """Record a failure; returns the most recent failures under any of the keys."""
        now = self._clock()
        worst = 0
        for key in keys:
            self._recent(key, now)
            entry = self._failures.setdefault(key, _Failures())
            entry.times.append(now)
            del entry.times[: -(self.free + 32)]  # enough to reach max_delay, no more
            self._failures.move_to_end(key)
            worst = max(worst, len(entry.times))
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)
        return worst

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)


def _throttled(wait: float) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many failed attempts from here; retry in {int(wait) + 1} s",
        headers={"Retry-After": str(int(wait) + 1)},
    )


def throttle_of(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


# ---- bearer tokens (API) ----------------------------------------------------------


def api_reviewer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> str:
    """FastAPI dependency for ``/api/*``: the reviewer name, 401, or 429 after repeated failures."""
    if credentials is not None:
        throttle = throttle_of(request)
        keys = throttle.keys(client_of(request))
        wait = throttle.retry_after(keys)
        if wait > 0:
            log.warning("bearer token from %s not checked: throttled for %.0f s", client_of(request), wait)
            raise _throttled(wait)
        name = reviewer_for_token(_settings(request), credentials.credentials)
        if name is not None:
            throttle.succeeded(keys)
            return name
        count = throttle.failed(keys)
        log.warning(
            "rejected bearer token from %s on %s %s (%d recent failures)",
            client_of(request), request.method, request.url.path, count,
        )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


# ---- dashboard sessions ---------------------------------------------------------


@dataclass
class Session:
    id: str  # public handle (an HMAC of the secret id): safe to list and to pass back
    reviewer: str
    token_fp: str
    created_at: float
    last_seen_at: float
    client: str
    user_agent: str


class SessionStore:
    """Server-side dashboard sessions, in this process's memory."""

    def __init__(
        self,
        secret: bytes,
        max_age: float = SESSION_MAX_AGE,
        idle: float = SESSION_IDLE,
        per_reviewer: int = MAX_SESSIONS_PER_REVIEWER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = hashlib.sha256(b"triage-sessions:" + secret).digest()
        self.max_age, self.idle, self.per_reviewer = max_age, idle, per_reviewer
        self._clock = clock
        self._sessions: dict[str, Session] = {}  # by public id

    def _mac(self, purpose: bytes, value: str) -> str:
        return hmac.new(self._key, purpose + b":" + value.encode(), "sha256").hexdigest()

    def fingerprint(self, token: str) -> str:
        """A keyed hash of a reviewer token: tells whether it is still configured."""
        return self._mac(b"token", token)

    def public_id(self, secret: str) -> str:
        return self._mac(b"sid", secret)[:32]

    def open(self, reviewer: str, token: str, client: str, user_agent: str) -> str:
        """A new session; returns its secret id (for the cookie only)."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(
            self.public_id(secret), reviewer, self.fingerprint(token), now, now, client, user_agent[:200]
        )
        self._sessions[session.id] = session
        mine = sorted(self.of(reviewer), key=lambda s: s.last_seen_at)
        for old in mine[: max(0, len(mine) - self.per_reviewer)]:
            self._sessions.pop(old.id, None)
        return secret

    def _live(self, session: Session, now: float) -> bool:
        return now - session.created_at < self.max_age and now - session.last_seen_at < self.idle

    def get(self, secret: str | None) -> Session | None:
        if not isinstance(secret, str) or not secret:
            return None
        session = self._sessions.get(self.public_id(secret))
        now = self._clock()
        if session is None:
            return None
        if not self._live(session, now):
            self._sessions.pop(session.id, None)
            return None
        session.last_seen_at = now
        return session

    def of(self, reviewer: str) -> list[Session]:
        now = self._clock()
        for session in [s for s in self._sessions.values() if not self._live(s, now)]:
            self._sessions.pop(session.id, None)
        return [s for s in self._sessions.values() if s.reviewer == reviewer]

    def revoke(self, secret: str | None) -> None:
        if isinstance(secret, str) and secret:
            self._sessions.pop(self.public_id(secret), None)

    def revoke_id(self, reviewer: str, session_id: str) -> bool:
        session = self._sessions.get(session_id)
        if session is None or session.reviewer != reviewer:
            return False
        del self._sessions[session_id]
        return True

    def revoke_all(self, reviewer: str, keep: str | None = None) -> int:
        ids = [s.id for s in self.of(reviewer) if s.id != keep]
        for session_id in ids:
            del self._sessions[session_id]
        return len(ids)


def sessions_of(request: Request) -> SessionStore:
    return request.app.state.sessions


class LoginRequired(Exception):
    """Raised by dashboard routes; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login(request: Request, token: str, claimed: str | None = None) -> str | None:
    """Open a session for ``token``'s reviewer; None for an unknown token (or another's name)."""
    name = reviewer_for_token(_settings(request), token)
    if name is None or (claimed and claimed != name):
        return None
    store = sessions_of(request)
    store.revoke(request.session.get(SESSION_ID))
    request.scope.pop("triage.session", None)
    # A fresh session (and CSRF token) at login: nothing from before survives.
    request.session.clear()
    request.session[SESSION_ID] = store.open(
        name, token, client_of(request), request.headers.get("user-agent", "")
    )
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return name


def logout(request: Request) -> None:
    sessions_of(request).revoke(request.session.get(SESSION_ID))
    request.scope.pop("triage.session", None)
    request.session.clear()


def current_session(request: Request) -> Session | None:
    """The request's live session, if its token is still configured."""
    cached = request.scope.get("triage.session", False)
    if cached is not False:
        return cached
    store = sessions_of(request)
    session = store.get(request.session.get(SESSION_ID))
    if session is not None:
        still = False
        for token, name in _settings(request).reviewer_tokens().items():
            if hmac.compare_digest(store.fingerprint(token), session.token_fp) and name == session.reviewer:
                still = True
        if not still:
            store.revoke_id(session.reviewer, session.id)
            session = None
    request.scope["triage.session"] = session
    return session


def session_reviewer(request: Request) -> str | None:
    """The logged-in reviewer, if their session is live and their token still configured."""
    session = current_session(request)
    return session.reviewer if session else None


def dashboard_reviewer(request: Request) -> str:
    """FastAPI dependency for dashboard pages: the reviewer, or a redirect to log in."""
    name = session_reviewer(request)
    if name is None:
        # After login, come back to the page; a form's POST target is no page to land on.
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path if request.method == "GET" else "/")
    return name


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
