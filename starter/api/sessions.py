"""Dashboard sessions kept on the server: the cookie carries only a random id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from triage.models import Role

SESSION_MAX_AGE = 12 * 60 * 60  # one working day; then log in again
SESSION_IDLE = 4 * 60 * 60
MAX_SESSIONS_PER_REVIEWER = 20


@dataclass
class Session:
    id: str  # public handle (an HMAC of the secret id): safe to list and to pass back
    reviewer: str
    token_fp: str  # "" for a session opened by single sign-on
    created_at: float
    last_seen_at: float
    client: str
    user_agent: str
    # A token session's role is read from TRIAGE_REVIEWERS on every request; a sign-on
    # session keeps the role the identity provider's groups gave it at sign-in.
    role: Role = Role.REVIEWER


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

    def open(
        self, reviewer: str, token: str | None, client: str, user_agent: str, role: Role = Role.REVIEWER
    ) -> str:
        """A new session (``token`` None: by single sign-on); returns its secret id (for the cookie only)."""
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(
            self.public_id(secret),
            reviewer,
            self.fingerprint(token) if token is not None else "",
            now,
            now,
            client,
            user_agent[:200],
            role,
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


