"""Telling reviewers, from any workflow: in the background, never failing the workflow.

A slow or failing webhook must never delay a decision nor fail a run: the
notification retries for hours on its own, and a last failure is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

NOTIFY_TIMEOUT = timedelta(seconds=30)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=20,
)


async def notify(activity: Callable[..., Any], argument: Any, summary: str) -> None:
    try:
        await workflow.execute_activity_method(
            activity,
            argument,
            start_to_close_timeout=NOTIFY_TIMEOUT,
            retry_policy=NOTIFY_RETRY,
            summary=summary,
        )
    except ActivityError as err:
        workflow.logger.warning("%s failed: %s", summary, err)
