"""Start (at most once) the triage workflow for one inbound message."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from triage.domain import search_attributes as sa
from triage.domain.contracts import workflow_id_for
from triage.domain.inbound import markdown_text
from triage.domain.models import (
    InboundMessage,
    PolicySettings,
    ReviewSettings,
    TriageInput,
    TriageStatus,
)
from workflows.triage import SupportTriageWorkflow


def summary_for(message: InboundMessage) -> str:
    """The Web UI's one-line (Markdown) summary: sender and subject escaped, never links."""
    subject = markdown_text(message.subject, 120) or "(no subject)"
    return f"{markdown_text(message.from_address, 60)}: {subject}"


async def start_triage(
    client: Client,
    message: InboundMessage,
    *,
    task_queue: str,
    policy: PolicySettings,
    review: ReviewSettings,
    judge_task_queue: str | None = None,
) -> WorkflowHandle[Any, Any] | None:
    """Start the workflow for ``message``; None when it already has one (running or finished).

    The workflow id is derived from the message id, so a duplicate delivery
    (socket plus catch-up, two watchers, a restart's catch-up) is refused while
    the workflow runs (FAIL) and after it finished (REJECT_DUPLICATE): one
    message, one workflow, one reply; and the caller knows which it was. Judging
    runs on ``judge_task_queue``, by default the one beside ``task_queue``.
    """
    try:
        return await client.start_workflow(
            SupportTriageWorkflow.run,
            TriageInput(message=message, policy=policy, review=review, judge_task_queue=judge_task_queue),
            id=workflow_id_for(message.message_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(sa.TRIAGE_INBOX, message.inbox_id),
                    SearchAttributePair(sa.TRIAGE_STATUS, TriageStatus.CLASSIFYING.value),
                    *(
                        [SearchAttributePair(sa.TRIAGE_THREAD, message.thread_id)]
                        if message.thread_id
                        else []
                    ),
                ]
            ),
            static_summary=summary_for(message),
        )
    except WorkflowAlreadyStartedError:
        return None
