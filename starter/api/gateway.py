"""The API's way to Temporal, shared by the JSON routes and the dashboard.

The only module of the API that talks to Temporal, and only through the
reviewer client (``starter.review``) and the autonomy client
(``starter.autonomy``): pending reviews are running workflows listed from
visibility, details come from the workflow's ``state`` query, and decisions
go through its ``review`` Update so the caller learns the outcome; the
autonomy record is the inbox's AutonomyWorkflow, read by query and changed by
its Updates. Every Temporal failure is translated here, once, into an ``ApiError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Unpack

from fastapi import Request, status
from pydantic import BaseModel, ValidationError
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from starter.api.errors import ApiError, ApiErrorKind
from starter.autonomy import NotFlaggable, NoWorker, ScopeRefused, flag_sent_reply, read_book, set_mode
from starter.review import (
    DecisionFields,
    ReviewRejected,
    ReviewSummary,
    decide_current,
    get_state,
    get_states,
    list_closed_reviews,
    list_reviews,
    review_closed,
)
from triage.domain.autonomy import AutonomySettings, ModeChange, ModeRequest, ScopeRow, rows
from triage.domain.contracts import ReviewErrorKind
from triage.domain.models import (
    AutonomyMode,
    Category,
    ReviewAction,
    ReviewOutcome,
    TriageState,
    TriageStatus,
)
from triage.runtime.config import Settings
from triage.runtime.temporal_client import connect

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
HEALTH_TIMEOUT = timedelta(seconds=2)
# A query needs a worker to answer; without one it would hang until the RPC deadline.
QUERY_TIMEOUT = timedelta(seconds=10)
LIST_QUERY_TIMEOUT = timedelta(seconds=4)
LIST_QUERY_CONCURRENCY = 16
LIST_TOTAL_TIMEOUT = 6.0

# The workflow's refusals that mean "your view is out of date" (409), not "we broke".
CONFLICT_KINDS = frozenset(
    {ReviewErrorKind.REVIEW_CLOSED, ReviewErrorKind.REVIEW_BUSY, ReviewErrorKind.STALE_REVISION}
)


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

    @property
    def settings(self) -> Settings:
        return self._settings

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
                status.HTTP_502_BAD_GATEWAY, f"the state query failed: {err}", ApiErrorKind.QUERY_FAILED
            ) from err
        except WorkflowUpdateFailedError as err:
            raise ApiError(
                status.HTTP_502_BAD_GATEWAY, f"the update failed: {err.cause or err}", ApiErrorKind.TEMPORAL
            ) from err
        except WorkflowUpdateRPCTimeoutOrCancelledError as err:
            raise ApiError(
                status.HTTP_504_GATEWAY_TIMEOUT,
                "no worker applied the decision in time; it may still be applied, reload to check",
                ApiErrorKind.TIMEOUT,
            ) from err
        except ValidationError as err:
            raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err), ApiErrorKind.INVALID) from err

    def _unavailable(self) -> ApiError:
        return ApiError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"Temporal is unreachable at {self._settings.temporal_address}; is the server running?",
            ApiErrorKind.TEMPORAL_UNAVAILABLE,
        )

    def _rpc_error(self, err: RPCError, workflow_id: str | None) -> ApiError:
        match err.status:
            case RPCStatusCode.NOT_FOUND:
                return ApiError(
                    status.HTTP_404_NOT_FOUND, f"no review with id {workflow_id!r}", ApiErrorKind.NOT_FOUND
                )
            case RPCStatusCode.UNAVAILABLE:
                self.lost()
                return self._unavailable()
            case RPCStatusCode.DEADLINE_EXCEEDED:
                return ApiError(
                    status.HTTP_504_GATEWAY_TIMEOUT,
                    "Temporal or the worker did not answer in time (is a worker running?)",
                    ApiErrorKind.TIMEOUT,
                )
            case RPCStatusCode.INVALID_ARGUMENT:
                return ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, err.message, ApiErrorKind.INVALID)
            case _:
                return ApiError(
                    status.HTTP_502_BAD_GATEWAY, f"Temporal error: {err.message}", ApiErrorKind.TEMPORAL
                )


def link_of(request: Request) -> TemporalLink:
    return request.app.state.temporal


async def fetch_state(
    link: TemporalLink, workflow_id: str, timeout: timedelta = QUERY_TIMEOUT
) -> TriageState:
    async with link.errors(workflow_id):
        return await get_state(await link.client(), workflow_id, rpc_timeout=timeout)


async def fetch_states(link: TemporalLink, workflow_ids: Iterable[str]) -> dict[str, TriageState | None]:
    """States for a page of reviews, concurrently; None where one does not answer.

    A list page must render even when one workflow's query fails (say, no
    worker has its code): that row then shows what visibility knows. One
    deadline for the page: with no worker every query would wait its full timeout.
    """
    ids = list(workflow_ids)
    if not ids:
        return {}
    try:
        client = await link.client()
    except ApiError:  # Temporal went away since the page was listed: rows without details
        return dict.fromkeys(ids)
    return await get_states(
        client,
        ids,
        rpc_timeout=LIST_QUERY_TIMEOUT,
        total_timeout=LIST_TOTAL_TIMEOUT,
        concurrency=LIST_QUERY_CONCURRENCY,
    )


async def decide(
    link: TemporalLink,
    workflow_id: str,
    action: ReviewAction,
    reviewer: str,
    *,
    revision: int | None = None,
    **fields: Unpack[DecisionFields],
) -> ReviewOutcome:
    """The decision through the review Update; ``category`` is the reviewer's correction
    of the classifier's."""
    async with link.errors(workflow_id):
        client = await link.client()
        try:
            _, outcome = await decide_current(
                client, workflow_id, action, reviewer, revision=revision, **fields
            )
        except RPCError as err:
            if review_closed(err):
                raise ApiError(
                    status.HTTP_409_CONFLICT,
                    "review is not open (already decided)",
                    ReviewErrorKind.REVIEW_CLOSED,
                ) from err
            raise
    assert outcome is not None  # wait=True always returns the outcome
    return outcome


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
    async with link.errors():
        client = await link.client()
        return await list_closed_reviews(client, limit=limit, page_token=page_token)


# ---- earned autonomy: the inbox's AutonomyWorkflow -----------------------------------


class AutonomyRecord(BaseModel):
    rows: list[ScopeRow]  # every category, then every article known
    changes: list[ModeChange]  # oldest first
    settings: AutonomySettings  # the workers' configuration, as they last reported it


async def fetch_autonomy(link: TemporalLink) -> AutonomyRecord:
    """The inbox's autonomy record, under the workers' configuration (ours until one reported)."""
    settings = link.settings
    async with link.errors():
        client = await link.client()
        try:
            # The query needs a worker; without one it would wait for the RPC deadline.
            async with asyncio.timeout(QUERY_TIMEOUT.total_seconds()):
                book = await read_book(client, settings.temporal_task_queue, settings.inbox_id)
        except TimeoutError as err:
            raise ApiError(
                status.HTTP_504_GATEWAY_TIMEOUT,
                "the autonomy record did not answer in time (is a worker running?)",
                ApiErrorKind.TIMEOUT,
            ) from err
    in_force = book.settings or settings.autonomy_settings()
    return AutonomyRecord(rows=rows(book, in_force), changes=book.changes, settings=in_force)


async def change_mode(
    link: TemporalLink, scope: str, mode: AutonomyMode, reviewer: str, why: str
) -> list[ModeChange]:
    """Set a scope's mode as ``reviewer``; the answer is the change made (none if it already was)."""
    settings = link.settings
    async with link.errors():
        request = ModeRequest(
            scope=scope, mode=mode, by=reviewer, why=why, settings=settings.autonomy_settings()
        )
        try:
            return await set_mode(
                await link.client(), settings.temporal_task_queue, settings.inbox_id, request, settings.kb_dir
            )
        except ScopeRefused as err:
            raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err), ApiErrorKind.INVALID) from err


async def flag_reply(link: TemporalLink, workflow_id: str, reviewer: str, why: str) -> list[ModeChange]:
    """ "This should not have been sent": 409 (NotFlaggable) unless the reply went out on its own."""
    settings = link.settings
    async with link.errors(workflow_id):
        client = await link.client()
        try:
            return await flag_sent_reply(
                client, settings.temporal_task_queue, workflow_id, reviewer, why, settings.autonomy_settings()
            )
        except NotFlaggable as err:
            raise ApiError(status.HTTP_409_CONFLICT, str(err), ApiErrorKind.NOT_FLAGGABLE) from err
        except NoWorker as err:
            raise ApiError(status.HTTP_503_SERVICE_UNAVAILABLE, str(err), ApiErrorKind.NO_WORKER) from err
