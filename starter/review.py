"""The reviewer client: every review operation of the CLI, the API, bench and tests.

Temporal is the only store: the pending reviews are running workflows, the
list comes from visibility (search attributes), the details from the
``state`` query, and decisions go in through the ``review`` Update (the
caller learns the outcome) or the ``review_signal`` Signal (accepted even
while no worker runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, TypedDict, TypeVar, Unpack

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecution, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from triage.domain import search_attributes as sa
from triage.domain.contracts import TRIAGE_WORKFLOW, WORKFLOW_ID_PREFIX, ReviewErrorKind
from triage.domain.models import (
    Category,
    ReviewAction,
    ReviewDecision,
    ReviewOutcome,
    TriageState,
    TriageStatus,
)
from workflows.triage import SupportTriageWorkflow

UPDATE_TIMEOUT = timedelta(seconds=60)

E = TypeVar("E", bound=Enum)


class DecisionFields(TypedDict, total=False):
    """What a decision carries beside its action, reviewer and revision (the API's request
    bodies hold exactly these and the revision): the reviewer's category correction and the
    action's own text (an edited ``body``, a ``reason``, redraft ``instructions``)."""

    category: Category | None
    body: str | None
    reason: str | None
    instructions: str | None


class ReviewSummary(BaseModel):
    workflow_id: str
    status: TriageStatus | None
    category: Category | None
    confidence: float | None
    reviewer: str | None
    inbox_id: str | None
    started_at: datetime | None
    closed_at: datetime | None


class ReviewRejected(Exception):
    """The workflow refused the decision.

    ``kind`` is a ``ReviewErrorKind``, or the type of an ApplicationError the
    workflow does not declare (passed on as it came, so nothing is hidden).
    """

    def __init__(self, kind: ReviewErrorKind | str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def workflow_id_of(ident: str) -> str:
    """The workflow id for a message id (``msg_…``, as the watcher logs it) or a workflow id."""
    ident = ident.strip()
    return ident if ident.startswith(WORKFLOW_ID_PREFIX) else f"{WORKFLOW_ID_PREFIX}{ident}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def visibility_query(
    status: TriageStatus | None = TriageStatus.AWAITING_REVIEW,
    category: Category | None = None,
    inbox_id: str | None = None,
) -> str:
    clauses = [f'WorkflowType = "{TRIAGE_WORKFLOW}"']
    if status is not None:
        clauses.append(f"{sa.TRIAGE_STATUS.name} = {_quote(status.value)}")
    if category is not None:
        clauses.append(f"{sa.TRIAGE_CATEGORY.name} = {_quote(category.value)}")
    if inbox_id is not None:
        clauses.append(f"{sa.TRIAGE_INBOX.name} = {_quote(inbox_id)}")
    return " AND ".join(clauses)


def _enum_or_none(enum: type[E], value: object) -> E | None:
    try:
        return enum(value) if value is not None else None
    except ValueError:
        return None


def summarize(execution: WorkflowExecution) -> ReviewSummary:
    attrs = execution.typed_search_attributes
    return ReviewSummary(
        workflow_id=execution.id,
        status=_enum_or_none(TriageStatus, attrs.get(sa.TRIAGE_STATUS)),
        category=_enum_or_none(Category, attrs.get(sa.TRIAGE_CATEGORY)),
        confidence=attrs.get(sa.TRIAGE_CONFIDENCE),
        reviewer=attrs.get(sa.TRIAGE_REVIEWER),
        inbox_id=attrs.get(sa.TRIAGE_INBOX),
        started_at=execution.start_time,
        closed_at=execution.close_time,
    )


async def list_reviews(
    client: Client,
    *,
    status: TriageStatus | None = TriageStatus.AWAITING_REVIEW,
    category: Category | None = None,
    limit: int = 50,
    page_token: bytes | None = None,
) -> tuple[list[ReviewSummary], bytes | None]:
    return await _page(client, visibility_query(status, category), limit, page_token)


async def list_closed_reviews(
    client: Client, *, limit: int = 50, page_token: bytes | None = None
) -> tuple[list[ReviewSummary], bytes | None]:
    """Finished triage workflows, whatever their outcome."""
    query = visibility_query(status=None) + ' AND ExecutionStatus != "Running"'
    return await _page(client, query, limit, page_token)


async def _page(
    client: Client, query: str, limit: int, page_token: bytes | None
) -> tuple[list[ReviewSummary], bytes | None]:
    iterator = client.list_workflows(query, page_size=limit, next_page_token=page_token)
    await iterator.fetch_next_page(page_size=limit)
    page = [summarize(execution) for execution in iterator.current_page or []]
    return page, iterator.next_page_token


def review_closed(err: RPCError) -> bool:
    """Whether Temporal refused an Update or Signal because the workflow already finished:
    the review was decided, expired or closed by a newer message."""
    return err.status == RPCStatusCode.NOT_FOUND and "already completed" in err.message


async def get_state(
    client: Client, workflow_id: str, *, run_id: str | None = None, rpc_timeout: timedelta | None = None
) -> TriageState:
    """The ``state`` query; it needs a worker, so callers that must not hang pass ``rpc_timeout``."""
    return await client.get_workflow_handle(workflow_id, run_id=run_id).query(
        SupportTriageWorkflow.state, rpc_timeout=rpc_timeout
    )


async def get_states(
    client: Client,
    workflow_ids: Iterable[str],
    *,
    rpc_timeout: timedelta = timedelta(seconds=4),
    total_timeout: float = 6.0,
    concurrency: int = 8,
) -> dict[str, TriageState | None]:
    """States for a page of reviews, concurrently; None where one did not answer in time."""
    limit = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str) -> TriageState | None:
        async with limit:
            try:
                return await get_state(client, workflow_id, rpc_timeout=rpc_timeout)
            except Exception:  # a row without details beats no list
                return None

    tasks = {workflow_id: asyncio.create_task(one(workflow_id)) for workflow_id in workflow_ids}
    if not tasks:
        return {}
    _, pending = await asyncio.wait(tasks.values(), timeout=total_timeout)
    for task in pending:
        task.cancel()
    return {wid: None if task in pending else task.result() for wid, task in tasks.items()}


async def submit_decision(
    client: Client, workflow_id: str, decision: ReviewDecision, *, wait: bool = True
) -> ReviewOutcome | None:
    """Apply a decision; with ``wait=False`` send it as a Signal (no outcome)."""
    handle = client.get_workflow_handle(workflow_id)
    if not wait:
        try:
            await handle.signal(SupportTriageWorkflow.review_signal, decision)
        except RPCError as err:
            if review_closed(err):
                raise ReviewRejected(ReviewErrorKind.REVIEW_CLOSED, await _closed_because(handle)) from err
            raise
        return None
    try:
        return await handle.execute_update(SupportTriageWorkflow.review, decision, rpc_timeout=UPDATE_TIMEOUT)
    except RPCError as err:
        if review_closed(err):
            raise ReviewRejected(ReviewErrorKind.REVIEW_CLOSED, await _closed_because(handle)) from err
        raise
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            raise ReviewRejected(_kind_of(cause.type), cause.message) from err
        raise ReviewRejected(ReviewErrorKind.UPDATE_FAILED, str(cause or err)) from err


def _kind_of(error_type: str | None) -> ReviewErrorKind | str:
    try:
        return ReviewErrorKind(error_type or "")
    except ValueError:
        return error_type or "ApplicationError"


async def _closed_because(handle: WorkflowHandle[Any, Any]) -> str:
    """Why a finished review takes no decision: decided, or closed by a newer message."""
    try:
        result = await handle.result(rpc_timeout=UPDATE_TIMEOUT)
    except Exception:
        return "the review is already decided"
    status = result.get("status") if isinstance(result, dict) else getattr(result, "status", None)
    reviewer = result.get("reviewer") if isinstance(result, dict) else getattr(result, "reviewer", None)
    if status == TriageStatus.NO_REPLY_NEEDED.value and reviewer:
        return f"the review is already decided: no reply needed (closed by {reviewer})"
    if status in (TriageStatus.SUPERSEDED.value, TriageStatus.NO_REPLY_NEEDED.value):
        return f"the review is closed ({status}): a newer message of the conversation took over"
    return "the review is already decided"


async def decide_current(
    client: Client,
    workflow_id: str,
    action: ReviewAction,
    reviewer: str,
    *,
    revision: int | None = None,
    wait: bool = True,
    **fields: Unpack[DecisionFields],
) -> tuple[ReviewDecision, ReviewOutcome | None]:
    """Decide on ``revision``, or on the revision the workflow holds now."""
    if revision is None:
        state = await get_state(client, workflow_id)
        if state.revision < 1:  # still classifying or drafting: there is nothing to decide on yet
            raise ReviewRejected(
                ReviewErrorKind.REVIEW_CLOSED, f"the review is not open yet (status {state.status.value})"
            )
        revision = state.revision
    decision = ReviewDecision(action=action, revision=revision, reviewer=reviewer, **fields)
    return decision, await submit_decision(client, workflow_id, decision, wait=wait)
