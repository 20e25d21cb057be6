"""The floor: a workflow running as many no-op activities as the auto-send path."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

STEPS = ("classify", "draft", "save", "send")


@activity.defn
async def noop(step: str) -> str:
    return step


@workflow.defn
class FloorWorkflow:
    @workflow.run
    async def run(self) -> None:
        for step in STEPS:
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=30))
