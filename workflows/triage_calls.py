"""The activities the triage workflow calls: each with its request, timeout and retries.

Kept apart so the workflow reads as its decisions: what to call, not how.
The thread read and the autonomy mode are local activities: one short call
(the mail API; the mode is mostly this worker's cache), so the common message
costs the server no activity task for them. Joining a conversation, reserving
an automatic reply and reporting a verdict wait on another workflow (an
Update's answer; a Signal that carries the verdicts arriving together): they
are activities of the coordination queue (``coordination_queue``), so the
workflow task ends at once instead of staying open (and holding a worker slot)
until the other workflow answers. Classify and draft run on the judge
workers' queue (``judge_queue``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows import gates, versions

with workflow.unsafe.imports_passed_through():
    from activities.auto_reply import AutoReplyActivities
    from activities.autonomy import AutonomyActivities
    from activities.conversation import ConversationActivities
    from activities.mail import MailActivities
    from activities.review_draft import ReviewDraftActivities
    from triage.domain.auto_reply import RepliedAlone, ReplyAlone
    from triage.domain.autonomy import ModeLookup, VerdictReport
    from triage.domain.contracts import (
        NEW_PARTICIPANT_SIGNAL,
        CoordinationActivity,
        JudgeActivity,
        coordination_queue_for,
        judge_queue_for,
    )
    from triage.domain.inbound import message_reply_target, reply_subject
    from triage.domain.models import (
        AutoReplyAllowance,
        Category,
        Classification,
        ConversationTurn,
        DiscardDraftRequest,
        DraftReply,
        DraftRequest,
        GuardFlag,
        InboundMessage,
        JoinConversation,
        Judgement,
        JudgeRequest,
        ModeInForce,
        NewParticipant,
        Notification,
        PolicySettings,
        ReserveAutoReply,
        SaveDraftRequest,
        SendDraftRequest,
        ThreadRequest,
        ThreadView,
        TriageInput,
        TriageState,
    )
    from triage.domain.review_draft import SavedForReview, SaveForReview
    from triage.domain.senders import mailbox

LLM_TIMEOUT = timedelta(seconds=90)
# A judge heartbeats while it works (activities/llm.py): a task it lost is retried after this,
# not after LLM_TIMEOUT (a routine message waited 90 s or more for its lost task).
JUDGE_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
LLM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=6,
)
MAIL_TIMEOUT = timedelta(seconds=30)
MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=12,
)
# The mode lookup; and join, reserve and verdict in runs started before the coordination queue.
LOCAL_TIMEOUT = timedelta(seconds=60)
# One attempt at a join, a reservation or a verdict: an Update on a conversation or counter
# (or a Signal), answered in milliseconds when its worker is up; a retry asks again with the
# same update id (a verdict is counted once per workflow).
COORDINATION_TIMEOUT = timedelta(seconds=30)

# ---- judging --------------------------------------------------------------------


def judge_queue(input: TriageInput, redraft: bool = False) -> str | None:
    """The judge workers' queue; None (this workflow's own queue) when replaying calls made before it.

    Redrafts have a gate of their own: a review that waited across the upgrade
    (its classify and draft replaying on its own queue) has its redrafts judged on
    the judge queue. Each gate is one marker and one search-attribute write per run.
    """
    if not (
        gates.lean() or workflow.patched(versions.JUDGE_QUEUE_REDRAFTS if redraft else versions.JUDGE_QUEUE)
    ):
        return None
    return input.judge_task_queue or judge_queue_for(workflow.info().task_queue)


async def classify(input: TriageInput) -> Classification:
    return await workflow.execute_activity(
        JudgeActivity.CLASSIFY,
        input.message,
        result_type=Classification,
        task_queue=judge_queue(input),
        start_to_close_timeout=LLM_TIMEOUT,
        heartbeat_timeout=JUDGE_HEARTBEAT_TIMEOUT,
        retry_policy=LLM_RETRY,
        summary="classify",
    )


async def draft(input: TriageInput, request: DraftRequest, *, redraft: bool = False) -> DraftReply:
    return await workflow.execute_activity(
        JudgeActivity.DRAFT_REPLY,
        request,
        result_type=DraftReply,
        task_queue=judge_queue(input, redraft),
        start_to_close_timeout=LLM_TIMEOUT,
        heartbeat_timeout=JUDGE_HEARTBEAT_TIMEOUT,
        retry_policy=LLM_RETRY,
        summary="draft reply",
    )


async def judge(input: TriageInput, request: JudgeRequest) -> Judgement:
    """Classify and draft in one activity (the lean path): two model calls' time."""
    return await workflow.execute_activity(
        JudgeActivity.JUDGE,
        request,
        result_type=Judgement,
        task_queue=judge_queue(input),
        start_to_close_timeout=2 * LLM_TIMEOUT,
        heartbeat_timeout=JUDGE_HEARTBEAT_TIMEOUT,
        retry_policy=LLM_RETRY,
        summary="classify and draft",
    )


def classification_failed(err: ActivityError) -> Classification:
    """What a message whose judging failed is: one for a human."""
    workflow.logger.warning("classification failed, routing to review: %s", err)
    return Classification.for_review(
        f"classification failed: {err.cause or err}", [GuardFlag.CLASSIFIER_ERROR]
    )


# ---- the draft in the inbox -------------------------------------------------------


def draft_request(
    state: TriageState, body: str, html_body: str | None, *, reuse_saved: bool = False
) -> SaveDraftRequest:
    """The reply's draft: a new one, or new text for the one saved (``state.draft_id``)."""
    message = state.message
    # One parsed address, never the raw From. With none, the draft has no recipient:
    # bad_address sent the message to review, and a send is refused, not misdirected.
    address = message_reply_target(message).address
    return SaveDraftRequest(
        inbox_id=message.inbox_id,
        reply_to_message_id=message.message_id,
        to=[address] if address else [],
        subject=reply_subject(
            message.subject, state.classification.language if state.classification else None
        ),
        body=body,
        draft_id=state.draft_id,
        html_body=html_body,
        reuse_saved=reuse_saved,
    )


async def save_draft(
    state: TriageState, body: str, html_body: str | None, *, reuse_saved: bool = False
) -> str:
    """Create the reply's draft, or replace its text; its id."""
    return await workflow.execute_activity_method(
        MailActivities.save_draft,
        draft_request(state, body, html_body, reuse_saved=reuse_saved),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="save draft",
    )


async def save_for_review(
    state: TriageState, body: str, html_body: str | None, notification: Notification, *, reuse_saved: bool
) -> SavedForReview:
    """Save the draft a reviewer will read and notify the reviewers: one activity."""
    return await workflow.execute_activity_method(
        ReviewDraftActivities.save_for_review,
        SaveForReview(
            draft=draft_request(state, body, html_body, reuse_saved=reuse_saved), notification=notification
        ),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="save draft, notify reviewers",
    )


async def reply_alone(
    state: TriageState,
    body: str,
    html_body: str | None,
    reservation: ReserveAutoReply | None,
    verdict: VerdictReport | None,
) -> RepliedAlone:
    """Reserve, save, send and report a reply the policy sends alone: one activity (the lean path)."""
    return await workflow.execute_activity_method(
        AutoReplyActivities.reply_alone,
        ReplyAlone(
            draft=draft_request(state, body, html_body),
            thread_id=state.message.thread_id,
            reservation=reservation,
            verdict=verdict,
        ),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="reserve, save and send the reply",
    )


async def send_draft(message: InboundMessage, draft_id: str) -> str:
    """Send the reply; the sent message's id."""
    sent = await workflow.execute_activity_method(
        MailActivities.send_draft,
        SendDraftRequest(
            inbox_id=message.inbox_id,
            draft_id=draft_id,
            reply_to_message_id=message.message_id,
            thread_id=message.thread_id,
        ),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="send reply",
    )
    return sent.message_id


async def discard_draft(message: InboundMessage, draft_id: str) -> None:
    await workflow.execute_activity_method(
        MailActivities.discard_draft,
        DiscardDraftRequest(inbox_id=message.inbox_id, draft_id=draft_id),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="discard draft",
    )


# ---- the thread and its conversation ---------------------------------------------


async def thread_history(message: InboundMessage, customer: str | None) -> ThreadView:
    assert message.thread_id is not None
    return await workflow.execute_local_activity_method(
        MailActivities.thread_history,
        ThreadRequest(
            inbox_id=message.inbox_id,
            thread_id=message.thread_id,
            message_id=message.message_id,
            customer=customer,
        ),
        start_to_close_timeout=MAIL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="read the thread",
    )


def coordination_queue() -> str | None:
    """The coordination worker's queue; None (a local activity) when replaying runs started before it."""
    if not (gates.lean() or workflow.patched(versions.COORDINATION_ACTIVITIES)):
        return None
    return coordination_queue_for(workflow.info().task_queue)


async def ask_coordination(
    activity: CoordinationActivity,
    local: Callable[..., Awaitable[Any]],
    request: Any,
    summary: str,
    result_type: type | None = None,
) -> Any:
    """An activity of the coordination queue; in runs started before it, the local activity they ran."""
    if queue := coordination_queue():
        return await workflow.execute_activity(
            activity,
            request,
            result_type=result_type,
            task_queue=queue,
            start_to_close_timeout=COORDINATION_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary=summary,
        )
    return await workflow.execute_local_activity_method(
        local, request, start_to_close_timeout=LOCAL_TIMEOUT, retry_policy=MAIL_RETRY, summary=summary
    )


async def join_conversation(request: JoinConversation) -> ConversationTurn:
    return await ask_coordination(
        CoordinationActivity.JOIN_CONVERSATION,
        ConversationActivities.join_conversation,
        request,
        "join conversation",
        ConversationTurn,
    )


async def tell_new_participant(workflow_id: str, sender: str, message_id: str) -> None:
    """Mark another review of the thread: someone else wrote into its customer's thread."""
    handle = workflow.get_external_workflow_handle(workflow_id)
    try:
        await handle.signal(
            NEW_PARTICIPANT_SIGNAL, NewParticipant(mailbox=mailbox(sender), message_id=message_id)
        )
    except Exception as err:  # closed already, or never started: nothing to mark
        workflow.logger.info("%s was not told of a new participant: %s", workflow_id, err)


# ---- what may go out alone ---------------------------------------------------------


async def read_mode(message: InboundMessage, category: Category, article_id: str | None) -> ModeInForce:
    """Through an activity, so a replay after a promotion reads what this run read."""
    return await workflow.execute_local_activity_method(
        AutonomyActivities.read_mode,
        ModeLookup(inbox_id=message.inbox_id, category=category, article_id=article_id),
        start_to_close_timeout=LOCAL_TIMEOUT,
        retry_policy=MAIL_RETRY,
        summary="read the autonomy mode",
    )


def reservation(message: InboundMessage, workflow_id: str, policy: PolicySettings) -> ReserveAutoReply:
    """Count the reply against its mailbox, its domain and the inbox (however the address is spelled)."""
    return ReserveAutoReply(
        inbox_id=message.inbox_id,
        sender=message.reply_address or message.from_address,
        workflow_id=workflow_id,
        limit=policy.auto_reply_limit,
        window=policy.auto_reply_window,
        domain_limit=policy.auto_reply_domain_limit,
        inbox_limit=policy.auto_reply_inbox_limit,
        budget_window=policy.auto_reply_budget_window,
    )


async def reserve_auto_reply(
    message: InboundMessage, workflow_id: str, policy: PolicySettings
) -> AutoReplyAllowance:
    return await ask_coordination(
        CoordinationActivity.RESERVE_AUTO_REPLY,
        ConversationActivities.reserve_auto_reply,
        reservation(message, workflow_id, policy),
        "count automatic replies to this sender",
        AutoReplyAllowance,
    )


async def report_verdict(report: VerdictReport) -> None:
    await ask_coordination(
        CoordinationActivity.REPORT_VERDICT,
        AutonomyActivities.report_verdict,
        report,
        f"report verdict: {report.verdict.value}",
    )
