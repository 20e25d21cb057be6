"""The reviewers' side of earned autonomy: read the record, set a mode, flag a wrong automatic reply.

One client for the CLI, the reviewer API and the dashboard. Setting a mode and
flagging are Updates on the inbox's AutonomyWorkflow (update-with-start: the
first one starts it) and answer with the changes they made.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from triage.domain import contracts
from triage.domain import search_attributes as sa
from triage.domain.autonomy import (
    AutonomyBook,
    AutonomySettings,
    AutonomyState,
    FlagReport,
    ModeChange,
    ModeRequest,
    ScopeRow,
    rows,
    unknown_scope,
)
from triage.domain.models import TriageResult, TriageStatus
from triage.judging.kb_articles import article_ids
from triage.runtime.temporal_client import update_with_start


class NotFlaggable(Exception):
    """Only a reply the service sent on its own can be flagged as "should not have been sent"."""


async def read_book(client: Client, task_queue: str, inbox_id: str) -> AutonomyBook:
    """The inbox's record; empty before any worker or verdict reported to it."""
    handle = client.get_workflow_handle(contracts.autonomy_id(task_queue, inbox_id))
    try:
        return await handle.query(contracts.AUTONOMY_BOOK, result_type=AutonomyBook)
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return AutonomyBook()  # no verdict yet: every scope is as configured
        raise


async def autonomy_rows(
    client: Client, task_queue: str, inbox_id: str, settings: AutonomySettings
) -> list[ScopeRow]:
    """The rows under the workers' configuration (``settings`` only until a worker reported it)."""
    book = await read_book(client, task_queue, inbox_id)
    return rows(book, book.settings or settings)


async def _update(
    client: Client, task_queue: str, inbox_id: str, update: str, request: object
) -> list[ModeChange]:
    return await update_with_start(
        client,
        contracts.AUTONOMY_WORKFLOW,
        AutonomyState(inbox_id=inbox_id),
        workflow_id=contracts.autonomy_id(task_queue, inbox_id),
        task_queue=task_queue,
        update=update,
        request=request,
        result_type=list[ModeChange],
    )


class ScopeRefused(ValueError):
    """The scope names no category or article, or one more would pass the cap on scopes."""


async def set_mode(
    client: Client, task_queue: str, inbox_id: str, request: ModeRequest, kb_dir: Path | None = None
) -> list[ModeChange]:
    """Set a scope's mode; ``ScopeRefused`` for an article the knowledge base (``kb_dir``) lacks."""
    if (problem := unknown_scope(request.scope, article_ids(kb_dir))) is not None:
        raise ScopeRefused(f"{request.scope}: {problem}")
    try:
        return await _set_mode(client, task_queue, inbox_id, request)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == contracts.TOO_MANY_SCOPES:
            raise ScopeRefused(f"{request.scope}: {cause.message}") from None
        raise


async def _set_mode(client: Client, task_queue: str, inbox_id: str, request: ModeRequest) -> list[ModeChange]:
    return await _update(client, task_queue, inbox_id, contracts.AUTONOMY_SET_MODE, request)


# A reply sent on its own is flagged once its run ended: after its verdict report, which a burst may queue.
VERDICT_WAIT_S = 30.0
# A running worker polls its queue again within the server's long poll (about a minute).
POLLED_WITHIN = timedelta(seconds=90)


class NoWorker(Exception):
    """No worker polls the queue: the flag (an Update) and the verdict report would wait for one, for minutes."""


async def require_worker(client: Client, task_queue: str) -> None:
    """``NoWorker`` at once unless a worker polled ``task_queue`` lately (the server keeps who polled)."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    since = datetime.now(UTC) - POLLED_WITHIN
    if not any(p.last_access_time.ToDatetime(tzinfo=UTC) >= since for p in described.pollers):
        raise NoWorker(
            f"no worker polls {task_queue}: nothing was flagged (start the workers, `triage up`, and flag again)"
        )


async def flag_sent_reply(
    client: Client, task_queue: str, workflow_id: str, by: str, why: str, settings: AutonomySettings
) -> list[ModeChange]:
    """ "This should not have been sent": the reply's article (and a promoted category) back to shadow."""
    handle = client.get_workflow_handle(workflow_id, result_type=TriageResult)
    description = await handle.describe()
    if description.workflow_type != contracts.TRIAGE_WORKFLOW:
        # Checked before the result is read: another workflow's result is none of the caller's business.
        raise NotFlaggable(
            f"{workflow_id} is not a triage of a message: only an automatic reply can be flagged"
        )
    # Sent already but still running: it ends once its verdict is reported (an activity), moments later.
    # Its status is read from the search attribute the run keeps, which the server answers: the
    # state query needed a worker (5 s and an RPC error with the workers down).
    finishing = (
        description.status is WorkflowExecutionStatus.RUNNING
        and description.typed_search_attributes.get(sa.TRIAGE_STATUS) == TriageStatus.AUTO_SENT.value
    )
    if description.status is not WorkflowExecutionStatus.COMPLETED and not finishing:
        raise NotFlaggable(f"{workflow_id} is still open: nothing was sent on its own")
    if finishing:  # its verdict report needs a worker too
        await require_worker(client, task_queue)
    try:
        async with asyncio.timeout(VERDICT_WAIT_S):
            result = await handle.result(follow_runs=False)
    except TimeoutError:
        raise NotFlaggable(f"{workflow_id} is still reporting its verdict: try again in a minute") from None
    if result.status is not TriageStatus.AUTO_SENT or result.category is None:
        raise NotFlaggable(f"{workflow_id} was not sent automatically (status {result.status.value})")
    if result.inbox_id is None:
        raise NotFlaggable(f"{workflow_id} ran before earned autonomy: its article is not recorded")
    flag = FlagReport(
        inbox_id=result.inbox_id,
        workflow_id=workflow_id,
        category=result.category,
        article_id=result.article_id,
        by=by,
        why=why,
        settings=settings,
    )
    if not finishing:
        await require_worker(client, task_queue)
    return await _update(client, task_queue, result.inbox_id, contracts.AUTONOMY_FLAG, flag)
