"""Dashboard sessions kept in Temporal: they survive API restarts and every replica sees them.

Why Temporal: it is the one durable store the product already runs, and it
answers each question a session asks with one call that needs no worker. A
session is a workflow execution on the access task queue, which no worker
polls, so no code ever runs for it:

- opening one starts the execution, with an execution timeout of
  ``SESSION_MAX_AGE`` (the server ends it then) and a memo saying whose it is
  (name, role, a keyed hash of the token it was opened with, client, browser);
- every dashboard request describes it: running means signed in;
- signing out, or revoking it, terminates it. The next request on any
  replica finds it ended: no cache, nothing to propagate.

The cookie (signed with ``TRIAGE_SESSION_SECRET``, the same on every
replica) carries a random secret id; the workflow id holds only an HMAC of
it, so nothing in Temporal lets anyone rebuild a cookie. Idleness is the
cookie's: its signature is timestamped and refused after ``SESSION_IDLE``
without a request (itsdangerous, through Starlette's session middleware).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus

from triage.domain import contracts
from triage.domain.models import Role
from triage.runtime.temporal_client import unless_missing

SESSION_MAX_AGE = 12 * 60 * 60  # one working day; then log in again
SESSION_IDLE = 4 * 60 * 60
MAX_SESSIONS_PER_REVIEWER = 20
MEMO_KEY = "session"


class SessionMemo(BaseModel):
    """What Temporal keeps about a session (no token, no cookie value)."""

    reviewer: str
    role: Role
    token_fp: str  # "" for a session opened by single sign-on
    created_at: datetime
    client: str
    user_agent: str


@dataclass
class Session:
    id: str  # public handle (an HMAC of the secret id): safe to list and to pass back
    reviewer: str
    token_fp: str  # "" for a session opened by single sign-on
    created_at: float
    client: str
    user_agent: str
    # A token session's role is read from TRIAGE_REVIEWERS on every request; a sign-on
    # session keeps the role the identity provider's groups gave it at sign-in.
    role: Role = Role.REVIEWER

    @classmethod
    def of(cls, public_id: str, memo: SessionMemo) -> Session:
        return cls(
            public_id,
            memo.reviewer,
            memo.token_fp,
            memo.created_at.timestamp(),
            memo.client,
            memo.user_agent,
            memo.role,
        )


class SessionStore:
    """Sessions as workflow executions (see the module's docstring)."""

    def __init__(
        self,
        secret: bytes,
        client: Callable[[], Awaitable[Client]],
        task_queue: str,
        max_age: float = SESSION_MAX_AGE,
        per_reviewer: int = MAX_SESSIONS_PER_REVIEWER,
    ) -> None:
        self._key = hashlib.sha256(b"triage-sessions:" + secret).digest()
        self._client = client
        self.task_queue = f"{task_queue}-{contracts.ACCESS_QUEUE_SUFFIX}"
        self.max_age, self.per_reviewer = max_age, per_reviewer

    def _mac(self, purpose: bytes, value: str) -> str:
        return hmac.new(self._key, purpose + b":" + value.encode(), "sha256").hexdigest()

    def fingerprint(self, token: str) -> str:
        """A keyed hash of a reviewer token: tells whether it is still configured."""
        return self._mac(b"token", token)

    def public_id(self, secret: str) -> str:
        return self._mac(b"sid", secret)[:32]

    def _workflow_id(self, public_id: str) -> str:
        return f"session-{self.task_queue}-{public_id}"

    async def open(
        self, reviewer: str, token: str | None, client: str, user_agent: str, role: Role = Role.REVIEWER
    ) -> tuple[str, Session]:
        """A new session (``token`` None: by single sign-on); its secret id (for the cookie only) and it."""
        secret = secrets.token_urlsafe(32)
        public_id = self.public_id(secret)
        memo = SessionMemo(
            reviewer=reviewer,
            role=role,
            token_fp=self.fingerprint(token) if token is not None else "",
            created_at=datetime.now(UTC),
            client=client,
            user_agent=user_agent[:200],
        )
        temporal = await self._client()
        await temporal.start_workflow(
            contracts.DASHBOARD_SESSION_WORKFLOW,
            id=self._workflow_id(public_id),
            task_queue=self.task_queue,
            execution_timeout=timedelta(seconds=self.max_age),
            memo={MEMO_KEY: memo},
        )
        mine = sorted(await self.of(reviewer), key=lambda s: s.created_at)
        for old in mine[: max(0, len(mine) - self.per_reviewer)]:
            await self._end(old.id)
        return secret, Session.of(public_id, memo)

    async def _find(self, public_id: str) -> Session | None:
        handle = (await self._client()).get_workflow_handle(self._workflow_id(public_id))
        description = await unless_missing(handle.describe())
        if description is None or description.status is not WorkflowExecutionStatus.RUNNING:
            return None  # signed out, revoked, or older than SESSION_MAX_AGE
        return Session.of(public_id, await description.memo_value(MEMO_KEY, type_hint=SessionMemo))

    async def get(self, secret: object) -> Session | None:
        if not isinstance(secret, str) or not secret:
            return None
        return await self._find(self.public_id(secret))

    async def of(self, reviewer: str) -> list[Session]:
        """``reviewer``'s open sessions (from visibility: a session opened a moment ago may lag)."""
        temporal = await self._client()
        query = (
            f"WorkflowType = '{contracts.DASHBOARD_SESSION_WORKFLOW}' AND TaskQueue = '{self.task_queue}' "
            "AND ExecutionStatus = 'Running'"
        )
        found = []
        async for execution in temporal.list_workflows(query):
            memo = await execution.memo_value(MEMO_KEY, type_hint=SessionMemo)
            if memo.reviewer == reviewer:
                found.append(Session.of(execution.id.rpartition("-")[2], memo))
        return found

    async def _end(self, public_id: str) -> bool:
        """Terminate the session's execution; False when there was none running."""
        handle = (await self._client()).get_workflow_handle(self._workflow_id(public_id))

        async def terminated() -> bool:
            await handle.terminate(reason="signed out")
            return True

        return bool(await unless_missing(terminated(), False))

    async def revoke(self, secret: object) -> None:
        if isinstance(secret, str) and secret:
            await self._end(self.public_id(secret))

    async def revoke_id(self, reviewer: str, session_id: str) -> bool:
        session = await self._find(session_id) if session_id.isalnum() else None
        if session is None or session.reviewer != reviewer:
            return False
        return await self._end(session_id)

    async def revoke_all(self, reviewer: str, keep: str | None = None) -> int:
        count = 0
        for session in await self.of(reviewer):
            if session.id != keep and await self._end(session.id):
                count += 1
        return count
