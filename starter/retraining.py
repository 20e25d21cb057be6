"""Start a retrain now, or nightly on a Temporal Schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from triage.domain import contracts
from triage.judging.gate import RetrainReport, RetrainRequest

NIGHTLY = "0 3 * * *"  # 03:00 UTC, when the inbox is quiet


def schedule_id(task_queue: str) -> str:
    return f"{contracts.RETRAIN_SCHEDULE}-{task_queue}"


async def start_retrain(client: Client, task_queue: str, request: RetrainRequest) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        contracts.RETRAIN_WORKFLOW,
        request,
        id=f"retrain-{task_queue}-{datetime.now(UTC):%Y%m%dT%H%M%S}",
        task_queue=task_queue,
        result_type=RetrainReport,
    )


async def create_schedule(
    client: Client, task_queue: str, cron: str, request: RetrainRequest, memo: dict[str, str] | None = None
) -> str:
    """Create, or replace, the nightly retrain: one run at a time, a missed night skipped."""
    sid = schedule_id(task_queue)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            contracts.RETRAIN_WORKFLOW, request, id=f"retrain-{task_queue}-scheduled", task_queue=task_queue
        ),
        spec=ScheduleSpec(cron_expressions=[cron]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        # The server keeps the cron as calendar specs: the memo keeps it as the operator wrote it.
        await client.create_schedule(sid, schedule, memo={"cron": cron, **(memo or {})})
    except ScheduleAlreadyRunningError:  # replace it with the one asked for
        await client.get_schedule_handle(sid).update(lambda _: ScheduleUpdate(schedule=schedule))
    return sid


async def describe_schedule(client: Client, task_queue: str) -> ScheduleDescription | None:
    try:
        return await client.get_schedule_handle(schedule_id(task_queue)).describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise


async def delete_schedule(client: Client, task_queue: str) -> bool:
    try:
        await client.get_schedule_handle(schedule_id(task_queue)).delete()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True
