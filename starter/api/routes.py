"""The reviewer JSON API, and the Temporal access it shares with the dashboard.

Temporal is the only store: pending reviews are running workflows listed from
visibility, details come from the workflow's ``state`` query, and decisions go
through its ``review`` Update so the caller learns the outcome. Every Temporal
failure is translated here, once, into an HTTP status (``ApiError``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from starter.api.auth import api_reviewer, sessions_of
from starter.review import (
    ReviewRejected,
    ReviewSummary,
    decide_current,
    list_reviews,
    summarize,
    visibility_query,
)
from triage.config import Settings
from triage.models import Category, ReviewAction, ReviewOutcome, TriageState, TriageStatus
from triage.temporal_client import connect
from workflows.triage import SupportTriageWorkflow

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
HEALTH_TIMEOUT = timedelta(seconds=2)
# A query needs a worker to answer; without one it would hang until the RPC deadline.
QUERY_TIMEOUT = timedelta(seconds=10)
LIST_QUERY_TIMEOUT = timedelta(seconds=4)
LIST_QUERY_CONCURRENCY = 16
LIST_TOTAL_TIMEOUT = 6.0

# The workflow's refusals that mean "your view is out of date", not "we broke".
CONFLICT_KINDS = frozenset({"ReviewClosed", "ReviewBusy", "StaleRevision"})


class ApiError(HTTPException):
    """An HTTP error with a machine-readable ``kind`` (the workflow's error type)."""

    def __init__(self, status_code: int, detail: str, kind: str | None = None) -> None:
        super().__init__(status_code, detail)
        self.kind = kind


class TemporalLink:
    """The app's Temporal client: given once, or connected lazily.

    A lazily connected client is dropped after a connection failure so that
    the next request connects again (the server may have moved or restarted);
    the API keeps answering (503) while Temporal is away.
    """

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._owned = client is None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(connect(self._settings), CONNECT_TIMEOUT)
                except (RuntimeError, OSError, TimeoutError, RPCError) as err:
                    log.warning("cannot connect to Temporal at %s: %s", self._settings.temporal_address, err)
                    raise self._unavailable() from err
            return self._client

    def lost(self) -> None:
        if self._owned:
            self._client = None

    async def healthy(self) -> bool:
        try:
            client = await self.client()
            return await client.service_client.check_health(timeout=HEALTH_TIMEOUT)
        except (ApiError, RPCError, RuntimeError, OSError):
            self.lost()
            return False

    @asynccontextmanager
    async def errors(self, workflow_id: str | None = None) -> AsyncIterator[None]:
        """Translate Temporal's exceptions into ``ApiError``."""
        try:
            yield
        except ReviewRejected as err:
            if err.kind in CONFLICT_KINDS:
                raise ApiError(status.HTTP_409_CONFLICT, str(err), err.kind) from err
            raise ApiError(status.HTTP_502_BAD_GATEWAY, f"the decision failed: {err}", err.kind) from err
        except RPCError as err:
            raise self._rpc_error(err, workflow_id) from err
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as err:
            raise ApiError(
                status.HTTP_502_BAD_GATEWAY, f"the state query failed: {err}", "QueryFailed"
            ) from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise ApiError(
                status.HTTP_504_GATEWAY_TIMEOUT,
                "no worker applied the decision in time; it may still be applied, reload to check",
                "Timeout",
            ) from err
        except ValidationError as err:
            raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err), "Invalid") from err

    def _unavailable(self) -> ApiError:
        return ApiError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"Temporal is unreachable at {self._settings.temporal_address}; is the server running?",
            "TemporalUnavailable",
        )

    def _rpc_error(self, err: RPCError, workflow_id: str | None) -> ApiError:
        match err.status:
            case RPCStatusCode.NOT_FOUND:
                return ApiError(status.HTTP_404_NOT_FOUND, f"no review with id {workflow_id!r}", "NotFound")
            case RPCStatusCode.UNAVAILABLE:
                self.lost()
                return self._unavailable()
            case RPCStatusCode.DEADLINE_EXCEEDED:
                return ApiError(
                    status.HTTP_504_GATEWAY_TIMEOUT,
                    "Temporal or the worker did not answer in time (is a worker running?)",
                    "Timeout",
                )
            case RPCStatusCode.INVALID_ARGUMENT:
                return ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, err.message, "Invalid")
            case _:
                return ApiError(status.HTTP_502_BAD_GATEWAY, f"Temporal error: {err.message}", "Temporal")


def link_of(request: Request) -> TemporalLink:
    return request.app.state.temporal


# ---- operations (the dashboard uses these too) ------------------------------------


async def fetch_state(
    link: TemporalLink, workflow_id: str, timeout: timedelta = QUERY_TIMEOUT
) -> TriageState:
    async with link.errors(workflow_id):
        client = await link.client()
        return await client.get_workflow_handle(workflow_id).query(
            SupportTriageWorkflow.state, rpc_timeout=timeout
        )


async def fetch_states(link: TemporalLink, workflow_ids: Iterable[str]) -> dict[str, TriageState | None]:
    """States for a page of reviews, concurrently; None where one does not answer.

    A list page must render even when one workflow's query fails (say, no
    worker has its code): that row then shows what visibility knows.
    """
    limit = asyncio.Semaphore(LIST_QUERY_CONCURRENCY)

    async def one(workflow_id: str) -> TriageState | None:
        async with limit:
            try:
                return await fetch_state(link, workflow_id, LIST_QUERY_TIMEOUT)
            except ApiError:
                return None

    tasks = {workflow_id: asyncio.create_task(one(workflow_id)) for workflow_id in workflow_ids}
    if not tasks:
        return {}
    # One deadline for the page: with no worker every query would wait its full timeout.
    _, pending = await asyncio.wait(tasks.values(), timeout=LIST_TOTAL_TIMEOUT)
    for task in pending:
        task.cancel()
    return {wid: None if task in pending else task.result() for wid, task in tasks.items()}


async def decide(
    link: TemporalLink,
    workflow_id: str,
    action: ReviewAction,
    reviewer: str,
    *,
    revision: int | None = None,
    body: str | None = None,
    reason: str | None = None,
    instructions: str | None = None,
) -> ReviewOutcome:
    async with link.errors(workflow_id):
        client = await link.client()
        try:
            _, outcome = await decide_current(
                client,
                workflow_id,
                action,
                reviewer,
                revision=revision,
                body=body,
                reason=reason,
                instructions=instructions,
            )
        except RPCError as err:
            # An Update on a workflow that finished a moment ago is NOT_FOUND
            # ("workflow execution already completed"): that is a closed review.
            if err.status == RPCStatusCode.NOT_FOUND and await _exists(client, workflow_id):
                raise ApiError(
                    status.HTTP_409_CONFLICT, "review is not open (already decided)", "ReviewClosed"
                ) from err
            raise
    assert outcome is not None  # wait=True always returns the outcome
    return outcome


async def _exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return False
    return True


async def list_page(
    link: TemporalLink,
    *,
    status_filter: TriageStatus | None,
    category: Category | None = None,
    limit: int = 50,
    page_token: bytes | None = None,
) -> tuple[list[ReviewSummary], bytes | None]:
    async with link.errors():
        client = await link.client()
        return await list_reviews(
            client, status=status_filter, category=category, limit=limit, page_token=page_token
        )


async def list_closed(
    link: TemporalLink, *, limit: int = 50, page_token: bytes | None = None
) -> tuple[list[ReviewSummary], bytes | None]:
    """Finished triage workflows, whatever their outcome (the history page)."""
    query = visibility_query(status=None) + ' AND ExecutionStatus != "Running"'
    async with link.errors():
        client = await link.client()
        iterator = client.list_workflows(query, page_size=limit, next_page_token=page_token)
        await iterator.fetch_next_page(page_size=limit)
        return [summarize(e) for e in iterator.current_page or []], iterator.next_page_token


class CursorCodec:
    """Page cursors: ``base64url(Temporal's next page token).base64url(tag)``.

    The HMAC tag is there because Temporal answers a forged page token with
    an UNKNOWN error that the client retries for seconds; a cursor this app
    did not issue is refused at once (422) instead.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"triage-cursor:" + secret).digest()

    def _tag(self, token: bytes) -> bytes:
        return hmac.digest(self._key, token, "sha256")[:16]

    def encode(self, token: bytes | None) -> str | None:
        if not token:
            return None
        return f"{_b64(token)}.{_b64(self._tag(token))}"

    def decode(self, cursor: str | None) -> bytes | None:
        if not cursor:
            return None
        body, _, tag = cursor.partition(".")
        try:
            token, signature = _unb64(body), _unb64(tag)
        except (binascii.Error, ValueError) as err:
            raise _bad_cursor() from err
        if not token or not hmac.compare_digest(signature, self._tag(token)):
            raise _bad_cursor()
        return token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bad_cursor() -> ApiError:
    return ApiError(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "invalid or expired cursor: start again from the first page",
        "Invalid",
    )


def cursors_of(request: Request) -> CursorCodec:
    return request.app.state.cursors


# ---- request and response bodies --------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


DraftText = Annotated[str, Field(min_length=1, max_length=100_000), AfterValidator(_not_blank)]
Note = Annotated[str, Field(min_length=1, max_length=5_000), AfterValidator(_not_blank)]
Revision = Annotated[
    int | None,
    Field(ge=1, description="The draft revision you decide on; default: the current one."),
]


class _Request(BaseModel):
    # Unknown fields are refused: a "reviewer" in the body must not look accepted.
    model_config = ConfigDict(extra="forbid")


class EditRequest(_Request):
    body: DraftText
    revision: Revision = None


class ApproveRequest(_Request):
    body: DraftText | None = Field(None, description="Send this text instead of the draft.")
    revision: Revision = None


class RejectRequest(_Request):
    reason: Note
    revision: Revision = None


class RedraftRequest(_Request):
    instructions: Note
    revision: Revision = None


class ReviewPage(BaseModel):
    items: list[ReviewSummary]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class StatusFilter(StrEnum):
    AWAITING_REVIEW = "awaiting_review"
    SENT = "sent"
    AUTO_SENT = "auto_sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"
    ANY = "any"

    def as_status(self) -> TriageStatus | None:
        return None if self is StatusFilter.ANY else TriageStatus(self.value)


class SessionInfo(BaseModel):
    id: str = Field(description="Pass to DELETE /api/sessions/{id} to end it.")
    created_at: datetime
    last_seen_at: datetime
    client: str
    user_agent: str


class Revoked(BaseModel):
    revoked: int


class Health(BaseModel):
    status: str = "ok"
    temporal: bool


# ---- routes -------------------------------------------------------------------------

_errors: dict[int | str, dict] = {
    401: {"description": "Missing or invalid bearer token"},
    404: {"description": "No such review (workflow id)"},
    503: {"description": "Temporal is unreachable"},
}
_decision_errors: dict[int | str, dict] = {
    **_errors,
    409: {"description": "The review is closed, busy, or the revision is stale: reload"},
    502: {"description": "The workflow could not carry the decision out"},
}

router = APIRouter(prefix="/api", tags=["reviews"], responses=_errors)
health_router = APIRouter(tags=["health"])

Reviewer = Annotated[str, Depends(api_reviewer)]
Link = Annotated[TemporalLink, Depends(link_of)]
WorkflowId = Annotated[str, Path(min_length=1, max_length=1000, description="The workflow id")]


@health_router.get("/healthz", response_model=Health)
async def healthz(link: Link) -> Health:
    return Health(temporal=await link.healthy())


@router.get("/reviews", response_model=ReviewPage)
async def get_reviews(
    request: Request,
    _: Reviewer,
    link: Link,
    status_filter: Annotated[StatusFilter, Query(alias="status")] = StatusFilter.AWAITING_REVIEW,
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ReviewPage:
    """Pending reviews (default) or decided ones, from Temporal visibility."""
    cursors = cursors_of(request)
    items, token = await list_page(
        link,
        status_filter=status_filter.as_status(),
        category=category,
        limit=limit,
        page_token=cursors.decode(cursor),
    )
    return ReviewPage(items=items, next_cursor=cursors.encode(token))


@router.get("/reviews/{workflow_id}", response_model=TriageState)
async def get_review(_: Reviewer, link: Link, workflow_id: WorkflowId) -> TriageState:
    """The workflow's ``state`` query: message, classification, draft, decisions."""
    return await fetch_state(link, workflow_id)


@router.patch("/reviews/{workflow_id}/draft", response_model=ReviewOutcome, responses=_decision_errors)
async def edit_draft(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: EditRequest
) -> ReviewOutcome:
    """Replace the draft's text; the review stays open at the next revision."""
    return await decide(
        link, workflow_id, ReviewAction.EDIT, reviewer, revision=payload.revision, body=payload.body
    )


@router.post("/reviews/{workflow_id}/approve", response_model=ReviewOutcome, responses=_decision_errors)
async def approve(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: ApproveRequest | None = None
) -> ReviewOutcome:
    """Send the draft (or ``body`` instead of it)."""
    payload = payload or ApproveRequest()
    return await decide(
        link, workflow_id, ReviewAction.APPROVE, reviewer, revision=payload.revision, body=payload.body
    )


@router.post("/reviews/{workflow_id}/reject", response_model=ReviewOutcome, responses=_decision_errors)
async def reject(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: RejectRequest
) -> ReviewOutcome:
    """Send nothing and discard the draft."""
    return await decide(
        link, workflow_id, ReviewAction.REJECT, reviewer, revision=payload.revision, reason=payload.reason
    )


@router.post("/reviews/{workflow_id}/redraft", response_model=ReviewOutcome, responses=_decision_errors)
async def redraft(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: RedraftRequest
) -> ReviewOutcome:
    """Draft again following ``instructions``; the review stays open."""
    return await decide(
        link,
        workflow_id,
        ReviewAction.REDRAFT,
        reviewer,
        revision=payload.revision,
        instructions=payload.instructions,
    )


# ---- dashboard sessions -----------------------------------------------------------


@router.get("/sessions", response_model=list[SessionInfo], tags=["sessions"])
async def list_sessions(request: Request, reviewer: Reviewer) -> list[SessionInfo]:
    """Your open dashboard sessions (the token's reviewer), most recently used first."""
    sessions = sorted(sessions_of(request).of(reviewer), key=lambda s: s.last_seen_at, reverse=True)
    return [
        SessionInfo(
            id=s.id,
            created_at=datetime.fromtimestamp(s.created_at, UTC),
            last_seen_at=datetime.fromtimestamp(s.last_seen_at, UTC),
            client=s.client,
            user_agent=s.user_agent,
        )
        for s in sessions
    ]


@router.delete("/sessions/{session_id}", status_code=204, tags=["sessions"])
async def revoke_session(
    request: Request, reviewer: Reviewer, session_id: Annotated[str, Path(max_length=100)]
) -> Response:
    """End one of your sessions at once (a copied cookie stops working too)."""
    if not sessions_of(request).revoke_id(reviewer, session_id):
        raise ApiError(status.HTTP_404_NOT_FOUND, "no such session of yours", "NotFound")
    return Response(status_code=204)


@router.delete("/sessions", response_model=Revoked, tags=["sessions"])
async def revoke_sessions(request: Request, reviewer: Reviewer) -> Revoked:
    """End all your dashboard sessions."""
    return Revoked(revoked=sessions_of(request).revoke_all(reviewer))
