"""Settling: waiting until every message has a workflow at rest and nothing is in flight."""

from __future__ import annotations

from functools import partial

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from bench.harness import bounded_gather, poll_until
from starter.review import summarize, visibility_query
from triage.domain.contracts import WORKFLOW_ID_PREFIX
from triage.domain.models import TriageStatus

QUERY_CONCURRENCY = 16  # describe and query calls at once, here and in reconciling


async def list_triage_workflows(client: Client) -> list[WorkflowExecution]:
    return [execution async for execution in client.list_workflows(visibility_query(status=None))]


def message_id_of(workflow_id: str) -> str:
    return workflow_id.removeprefix(WORKFLOW_ID_PREFIX)


def at_rest(execution: WorkflowExecution) -> bool:
    """Finished, or waiting for a reviewer, as far as visibility can tell."""
    if execution.status != WorkflowExecutionStatus.RUNNING:
        return True
    return summarize(execution).status is TriageStatus.AWAITING_REVIEW


async def busy_workflows(client: Client, workflow_ids: list[str]) -> list[str]:
    """The running workflows with an activity or a workflow task (a queued decision) in flight."""

    async def busy(workflow_id: str) -> bool:
        raw = (await client.get_workflow_handle(workflow_id).describe()).raw_description
        return bool(raw.pending_activities) or raw.HasField("pending_workflow_task")

    flags = await bounded_gather(
        [partial(busy, workflow_id) for workflow_id in workflow_ids], QUERY_CONCURRENCY
    )
    return [workflow_id for workflow_id, flag in zip(workflow_ids, flags, strict=True) if flag]


async def settle(client: Client, message_ids: set[str], timeout: float) -> bool:
    """Waits until every message has a workflow at rest and nothing is in flight."""

    async def settled() -> bool:
        try:
            executions = await list_triage_workflows(client)
            seen = {message_id_of(e.id) for e in executions}
            if message_ids <= seen and all(at_rest(e) for e in executions):
                running = [e.id for e in executions if e.status == WorkflowExecutionStatus.RUNNING]
                return not await busy_workflows(client, running)
        except Exception as err:  # a slow server after the chaos: look again
            print(f"  settle: {type(err).__name__}: {err}", flush=True)
        return False

    return await poll_until(settled, timeout=timeout, every=2.0)
