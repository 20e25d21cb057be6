"""Telling reviewers, from any workflow: in the background, never failing the workflow.

A slow or failing webhook must never delay a decision nor fail a run: the
notification retries for hours on its own, and a last failure is logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from triage.domain.models import Notification, TriageState

NOTIFY_TIMEOUT = timedelta(seconds=30)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=20,
)
SNIPPET_CHARS = 280  # of the message's text, in a review notification


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


def notify_review(kind: str, state: TriageState) -> asyncio.Task[None]:
    """Tell reviewers of a triage workflow's review (requested, reminder, expired), in the background."""
    notification = review_notification(kind, state)
    return asyncio.create_task(notify(NotifyActivities.notify_reviewer, notification, f"notify: {kind}"))


def review_notification(kind: str, state: TriageState) -> Notification:
    message = state.message
    classification = state.classification
    return Notification(
        kind=kind,
        workflow_id=state.workflow_id,
        revision=state.revision,
        category=classification.category if classification else None,
        confidence=classification.confidence if classification else None,
        from_address=message.from_address,
        subject=message.subject,
        snippet=" ".join(message.plain_body.split())[:SNIPPET_CHARS],
        reasons=state.policy_decision.reasons if state.policy_decision else [],
        due_at=state.expires_at if kind == "reminder" else state.reminder_at,
    )
