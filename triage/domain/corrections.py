"""Reviewers' category corrections, read back from Temporal: no second database.

A reviewer who corrects the category at decision time marks the workflow
(search attribute ``TriageCorrected``) and the correction, with the text that
was sent, is part of its result. Exporting is a visibility query plus each
closed workflow's result.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from temporalio.client import Client, WorkflowExecutionStatus

from triage.domain import search_attributes as sa
from triage.domain.models import Correction, TriageResult


def corrections_query(task_queue: str | None = None, since: datetime | None = None) -> str:
    clauses = [f"{sa.TRIAGE_CORRECTED.name} = true", "ExecutionStatus = 'Completed'"]
    if task_queue:
        clauses.append(f"TaskQueue = '{task_queue}'")
    if since is not None:
        clauses.append(f"CloseTime > '{since.isoformat()}'")
    return " AND ".join(clauses)


async def iter_corrections(
    client: Client, task_queue: str | None = None, since: datetime | None = None
) -> AsyncIterator[Correction]:
    async for execution in client.list_workflows(corrections_query(task_queue, since)):
        if execution.status is not WorkflowExecutionStatus.COMPLETED:
            continue
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id, result_type=TriageResult)
        result = await handle.result(follow_runs=False)
        if result.correction is not None:
            yield result.correction
