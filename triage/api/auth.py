"""Who is calling: bearer tokens for the JSON API, a signed session for the dashboard.

Reviewer tokens come from ``TRIAGE_REVIEWERS`` (``name:token`` pairs) and are
re-read on every request, so removing a token revokes both its API access and
every dashboard session opened with it. The reviewer recorded in a workflow is
always the one resolved here, never a name taken from a request body.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from triage.config import Settings

_bearer = HTTPBearer(auto_error=False, description="A reviewer token from TRIAGE_REVIEWERS.")

SESSION_REVIEWER = "reviewer"
SESSION_TOKEN_FP = "token_fp"
SESSION_CSRF = "csrf"
CSRF_FIELD = "csrf_token"


def _fingerprint(token: str) -> str:
    # Sessions hold a hash of the token, not the token: the cookie is signed, not encrypted.
    return hashlib.sha256(token.encode()).hexdigest()


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


def api_reviewer(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
) -> str:
    """FastAPI dependency for ``/api/*``: the reviewer name, or 401."""
    name = reviewer_for_token(_settings(request), credentials.credentials) if credentials else None
    if name is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return name


# ---- dashboard sessions ---------------------------------------------------------


class LoginRequired(Exception):
    """Raised by dashboard routes; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login(request: Request, token: str) -> str | None:
    """Open a session for ``token``'s reviewer; None for an unknown token."""
    name = reviewer_for_token(_settings(request), token)
    if name is None:
        return None
    # A fresh session (and CSRF token) at login: nothing from before survives.
    request.session.clear()
    request.session[SESSION_REVIEWER] = name
    request.session[SESSION_TOKEN_FP] = _fingerprint(token)
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)
    return name


def logout(request: Request) -> None:
    request.session.clear()


def session_reviewer(request: Request) -> str | None:
    """The logged-in reviewer, if their token is still configured."""
    name = request.session.get(SESSION_REVIEWER)
    fingerprint = request.session.get(SESSION_TOKEN_FP)
    if not isinstance(name, str) or not isinstance(fingerprint, str):
        return None
    for token, current in _settings(request).reviewer_tokens().items():
        if hmac.compare_digest(_fingerprint(token), fingerprint) and current == name:
            return name
    return None


def dashboard_reviewer(request: Request) -> str:
    """FastAPI dependency for dashboard pages: the reviewer, or a redirect to log in."""
    name = session_reviewer(request)
    if name is None:
        # After login, come back to the page; a form's POST target is no page to land on.
        next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path if request.method == "GET" else "/")
    return name


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use, also before login)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str):
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
