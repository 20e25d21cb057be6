"""The floors: the least Temporal work that does what a project path does.

``FloorWorkflow`` runs as many no-op activities as the auto-send path;
``PendingFloorWorkflow`` only waits for a decision, like a pending review;
it marks itself waiting in the same search attribute the project uses, so
both sides' pending workflows are counted and listed by the same kind of
visibility query.
``python -m bench.floor --address HOST:PORT --task-queue Q`` serves both in a
worker process of its own, so that its memory can be measured apart. It
imports nothing of the project, so its size is Temporal's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

STEPS = ("classify", "draft", "save", "send")
# Registered on every server the project runs on (triage.domain.search_attributes).
STATUS = SearchAttributeKey.for_keyword("TriageStatus")
WAITING = "awaiting_review"


@activity.defn
async def noop(step: str) -> str:
    return step


@workflow.defn
class FloorWorkflow:
    @workflow.run
    async def run(self) -> None:
        for step in STEPS:
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class PendingFloorWorkflow:
    def __init__(self) -> None:
        self._decided = False

    @workflow.run
    async def run(self) -> None:
        workflow.upsert_search_attributes([STATUS.value_set(WAITING)])
        await workflow.wait_condition(lambda: self._decided)

    @workflow.query
    def state(self) -> str:
        return "decided" if self._decided else "waiting"

    @workflow.update
    def decide(self) -> str:
        self._decided = True
        return "decided"


async def serve(address: str, task_queue: str, max_cached_workflows: int, sandbox: bool) -> None:
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    client = await Client.connect(address)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow, PendingFloorWorkflow],
        activities=[noop],
        max_cached_workflows=max_cached_workflows,
        workflow_runner=SandboxedWorkflowRunner() if sandbox else UnsandboxedWorkflowRunner(),
    ):
        print("floor worker polling", flush=True)
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A worker serving the floor workflows.")
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    # The project worker's cache size: what a pending workflow costs in memory depends on it.
    parser.add_argument("--max-cached-workflows", type=int, required=True)
    # Temporal's sandbox (the SDK's default, 1) or plain code (0), as the project worker runs
    # its workflows (TRIAGE_WORKFLOW_SANDBOX): a replay's cost depends on it.
    parser.add_argument("--sandbox", type=int, choices=(0, 1), default=1)
    args = parser.parse_args()
    asyncio.run(serve(args.address, args.task_queue, args.max_cached_workflows, bool(args.sandbox)))
