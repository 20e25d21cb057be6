"""Reconciling the emulator with Temporal: message by message, thread by thread, sender by sender."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import httpx
from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from bench.chaos.accounting import (
    CLOSED_STATUSES,
    EXPECTED_OUTCOMES,
    REPLIED_STATUSES,
    SETTLED_STATUSES,
    Accounting,
)
from bench.chaos.plan import AUTO_REPLY_LIMIT, LIMIT_SENDER, PLUS_FLOOD, PLUS_SENDER, STRANGER
from bench.chaos.settle import QUERY_CONCURRENCY, list_triage_workflows, message_id_of
from bench.chaos.stream import InjectedEmail
from bench.harness import bounded_gather
from starter.review import get_state, summarize
from triage.domain import contracts
from triage.domain.contracts import WORKFLOW_ID_PREFIX
from triage.domain.models import AutoReplyAllowance, GuardFlag, TriageResult, TriageState, TriageStatus
from triage.mail.myagentmail.client import MailClient
from triage.mail.sim.runner import RunningMailSim
from workflows.conversation import AutoReplyCounterWorkflow


@dataclass(frozen=True)
class FinalState:
    """What Temporal says one workflow ended in (or waits in)."""

    status: TriageStatus | None  # None: the run itself failed, was terminated or timed out
    sent_message_id: str | None
    visibility_status: TriageStatus | None


async def final_state(client: Client, execution: WorkflowExecution) -> FinalState:
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id, result_type=TriageResult)
    visible = summarize(execution).status
    if execution.status == WorkflowExecutionStatus.COMPLETED:
        result = await handle.result()
        return FinalState(result.status, result.sent_message_id, visible)
    if execution.status == WorkflowExecutionStatus.RUNNING:
        state = await state_of_running(client, execution)
        return FinalState(state.status, state.sent_message_id, visible)
    return FinalState(None, None, visible)


# A Query replays a workflow the worker no longer holds; on a starved machine the replay can
# miss the 2 s deadlock detector ("TMPRL1101 Potential deadlock detected", seen in a
# 1,000-message run at load ~36) or the RPC its deadline. Both pass: ask again.
QUERY_ATTEMPTS = 5
QUERY_RETRY_SECONDS = 3.0
T = TypeVar("T")


# What a starved server or worker answers; anything else (a workflow that does not exist)
# is the same answer the next time.
PASSING = (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.UNAVAILABLE)


async def asking_again(query: Callable[[], Awaitable[T]]) -> T:
    """The query's answer, asked up to QUERY_ATTEMPTS times while it fails in a passing way."""
    for attempt in range(1, QUERY_ATTEMPTS):
        try:
            return await query()
        except WorkflowQueryFailedError:
            pass
        except RPCError as err:
            if err.status not in PASSING:
                raise
        await asyncio.sleep(QUERY_RETRY_SECONDS * attempt)
    return await query()


async def state_of_running(client: Client, execution: WorkflowExecution) -> TriageState:
    return await asking_again(partial(get_state, client, execution.id, run_id=execution.run_id))


async def inbox_message_ids(sim: RunningMailSim) -> set[str]:
    async with MailClient(sim.base_url, sim.api_key) as mail:
        return {
            message.id
            async for page in mail.iter_messages(
                sim.inbox_id, direction="inbound", page_size=100, max_pages=100_000
            )
            for message in page
        }


async def auto_reply_answers(client: Client) -> dict[str, AutoReplyAllowance]:
    """Every per-sender counter's answers, by asking workflow id (the counters' own record)."""
    query = f'WorkflowType = "{contracts.AUTO_REPLY_COUNTER_WORKFLOW}"'
    ids = sorted({execution.id async for execution in client.list_workflows(query)})

    async def answers(workflow_id: str) -> dict[str, AutoReplyAllowance]:
        handle = client.get_workflow_handle(workflow_id)
        return (await asking_again(partial(handle.query, AutoReplyCounterWorkflow.state))).answers

    found: dict[str, AutoReplyAllowance] = {}
    for part in await bounded_gather(
        [partial(answers, workflow_id) for workflow_id in ids], QUERY_CONCURRENCY
    ):
        for asking, answer in part.items():  # the domain's counter and the inbox's: a refusal wins
            if asking not in found or not answer.allowed:
                found[asking] = answer
    return found


async def reconcile(
    client: Client, sim: RunningMailSim, control: httpx.AsyncClient, emails: list[InjectedEmail]
) -> Accounting:
    """Counts from the emulator and Temporal, and every way they disagree."""
    injected = {email.message_id for email in emails}
    account = Accounting(injected=len(injected))
    for email in emails:
        account.kinds[email.kind] += 1
    inbox = await inbox_message_ids(sim)
    if inbox != injected:
        account.mismatches.append(
            f"inbox holds {len(inbox)} inbound messages, {len(inbox - injected)} not injected, "
            f"{len(injected - inbox)} injected ones missing"
        )
    runs: dict[str, list[WorkflowExecution]] = defaultdict(list)
    for execution in await list_triage_workflows(client):
        runs[message_id_of(execution.id)].append(execution)
    replies: dict[str | None, list[dict]] = defaultdict(list)
    for reply in (await control.get("/_sim/sent")).raise_for_status().json()["sent"]:
        replies[reply["in_reply_to"]].append(reply)
    account.replies = sum(len(r) for r in replies.values())

    for message_id in sorted(set(runs) - injected):
        problem = f"workflow {WORKFLOW_ID_PREFIX}{message_id} has no injected message"
        account.flag("unknown workflows", 1, problem)
    for replied_to in sorted(set(replies) - injected, key=str):
        problem = f"{len(replies[replied_to])} reply(ies) to {replied_to}, not an injected message"
        account.flag("orphan replies", len(replies[replied_to]), problem)

    ordered = sorted(injected & set(runs))
    states = await bounded_gather(
        [partial(final_state, client, runs[m][0]) for m in ordered], QUERY_CONCURRENCY
    )
    account.workflows = len(ordered)
    for message_id in sorted(injected - set(runs)):
        account.flag("lost", 1, f"message {message_id} has no workflow")
    status_of: dict[str, TriageStatus | None] = {}
    for message_id, state in zip(ordered, states, strict=True):
        check_message(account, message_id, len(runs[message_id]), state, replies.get(message_id, []))
        status_of[message_id] = state.status
    await check_threads(account, client, emails, status_of)
    check_auto_replies(account, emails, status_of, await auto_reply_answers(client))
    return account


def check_message(
    account: Accounting, message_id: str, run_count: int, state: FinalState, replies: list[dict]
) -> None:
    """One message: one workflow run, one settled state, the replies that state implies."""
    account.record(state.status)
    if run_count > 1:
        account.flag("duplicate workflows", run_count - 1, f"{message_id}: {run_count} workflow runs")
    if len(replies) > 1:
        account.flag("duplicate replies", len(replies) - 1, f"{message_id}: {len(replies)} replies")
    if state.status in CLOSED_STATUSES and replies:
        account.flag(
            "replies to closed", len(replies), f"{message_id}: {state.status} with {len(replies)} replies"
        )
    if state.status is not None and state.status.value not in EXPECTED_OUTCOMES:
        account.mismatches.append(f"{message_id}: workflow ended {state.status}")
    if state.status not in SETTLED_STATUSES:
        account.mismatches.append(f"{message_id}: workflow not settled (status {state.status})")
    if state.visibility_status is not state.status:
        account.mismatches.append(
            f"{message_id}: visibility says {state.visibility_status}, workflow {state.status}"
        )
    expected_replies = 1 if state.status in REPLIED_STATUSES else 0
    if len(replies) != expected_replies:
        account.mismatches.append(f"{message_id}: {state.status} with {len(replies)} replies")
    elif replies and replies[0]["message_id"] != state.sent_message_id:
        account.mismatches.append(
            f"{message_id}: workflow sent {state.sent_message_id}, emulator {replies[0]['message_id']}"
        )


async def check_threads(
    account: Accounting,
    client: Client,
    emails: list[InjectedEmail],
    status_of: dict[str, TriageStatus | None],
) -> None:
    """One conversation (a thread and one sender's mailbox) at a time: at most one open review,
    the newest message never superseded, nothing closed without a newer message (or a
    thank-you) of the same sender to close it; a stranger in the thread closes nothing."""
    threads: dict[str, list[InjectedEmail]] = defaultdict(list)
    for email in emails:  # in the order they were posted: the emulator's order too
        threads[email.thread_id].append(email)
    account.conversation["threads"] = len(threads)
    account.conversation["threads with follow-ups"] = sum(len(t) > 1 for t in threads.values())
    account.conversation["threads with a second sender"] = sum(
        len({e.sender for e in t}) > 1 for t in threads.values()
    )
    for thread_id, thread in threads.items():
        for sender in dict.fromkeys(e.sender for e in thread):
            conversation = [e for e in thread if e.sender == sender]
            strangers_later = [e for e in thread[thread.index(conversation[-1]) + 1 :] if e.sender != sender]
            await check_conversation(
                account,
                client,
                f"{thread_id}/{sender}",
                conversation,
                strangers_later,
                status_of,
                after_another_sender={e.message_id for e in conversation if another_sender_before(e, thread)},
            )


async def check_conversation(
    account: Accounting,
    client: Client,
    name: str,
    conversation: list[InjectedEmail],
    strangers_later: list[InjectedEmail],
    status_of: dict[str, TriageStatus | None],
    after_another_sender: set[str],
) -> None:
    statuses = [status_of.get(email.message_id) for email in conversation]
    open_reviews = statuses.count(TriageStatus.AWAITING_REVIEW)
    if open_reviews > 1:
        account.flag("threads with 2+ open reviews", 1, f"conversation {name}: {open_reviews} open reviews")
    last = conversation[-1]
    if statuses[-1] in CLOSED_STATUSES and last.kind != "thanks" and strangers_later:
        account.flag(
            "closed by another sender",
            1,
            f"{last.message_id}: {statuses[-1]} after {len(strangers_later)} message(s) of another sender only",
        )
    elif statuses[-1] is TriageStatus.SUPERSEDED:
        account.flag(
            "newest superseded", 1, f"conversation {name}: its newest message {last.message_id} superseded"
        )
    for position, (email, status) in enumerate(zip(conversation, statuses, strict=True)):
        later = conversation[position + 1 :]
        if status is TriageStatus.SUPERSEDED and not later:
            account.mismatches.append(
                f"{email.message_id}: superseded, no newer message of its sender in its thread"
            )
        closed_by_thanks = email.kind == "thanks" or any(e.kind == "thanks" for e in later)
        if status is TriageStatus.NO_REPLY_NEEDED and not closed_by_thanks:
            account.mismatches.append(
                f"{email.message_id}: no_reply_needed, no thank-you of its sender in its thread"
            )
        if email.kind == "thanks":
            problem = thank_you_problem(email, status, email.message_id in after_another_sender)
            if problem and not await classifier_failed(client, email.message_id):
                account.mismatches.append(problem)
        if email.kind == STRANGER and status in (TriageStatus.AUTO_SENT, *CLOSED_STATUSES):
            account.mismatches.append(
                f"{email.message_id}: a stranger's message in a thread ended {status}, not reviewed"
            )


def another_sender_before(email: InjectedEmail, thread: list[InjectedEmail]) -> bool:
    """Did someone else write into the thread before this email (in the order they were posted)?"""
    return any(earlier.sender != email.sender for earlier in thread[: thread.index(email)])


# Where a thank-you read by a human can be once settled: waiting, or decided by a reviewer.
REVIEWED_STATUSES = frozenset(
    {TriageStatus.AWAITING_REVIEW, TriageStatus.SENT, TriageStatus.REJECTED, TriageStatus.EXPIRED}
)


def thank_you_problem(
    email: InjectedEmail, status: TriageStatus | None, after_another_sender: bool
) -> str | None:
    """What is wrong with where a thank-you ended, if anything.

    A thank-you closes its sender's conversation (no_reply_needed); once another sender has
    written into the thread, it is read by a human instead (workflows/triage.py: a closing
    ends alone only without other participants), so it must be in review or decided there.
    """
    if not after_another_sender:
        return (
            None
            if status is TriageStatus.NO_REPLY_NEEDED
            else f"{email.message_id}: a thank-you ended {status}"
        )
    if status in REVIEWED_STATUSES:
        return None
    return f"{email.message_id}: a thank-you after another sender's message ended {status}, not reviewed"


async def classifier_failed(client: Client, message_id: str) -> bool:
    """Did the classification fail outright (every LLM attempt), so that nothing was read?"""
    try:
        state = await asking_again(partial(get_state, client, f"{WORKFLOW_ID_PREFIX}{message_id}"))
    except Exception:
        return False
    flags = state.classification.guard_flags if state.classification else []
    return GuardFlag.CLASSIFIER_ERROR in flags


def check_auto_replies(
    account: Accounting,
    emails: list[InjectedEmail],
    status_of: dict[str, TriageStatus | None],
    answers: dict[str, AutoReplyAllowance],
) -> None:
    """Every automatic reply had the counters' allowance, none beyond the limit to one mailbox
    (however spelled), and the limit sender and the plus flood got exactly the limit."""
    auto_sent: Counter[str] = Counter()
    for email in emails:
        workflow_id = f"{WORKFLOW_ID_PREFIX}{email.message_id}"
        answer = answers.get(workflow_id)
        held = answer is not None and not answer.allowed
        account.conversation["limit-held"] += held
        if status_of.get(email.message_id) is TriageStatus.AUTO_SENT:
            auto_sent[email.sender] += 1
            if answer is None or not answer.allowed:
                account.mismatches.append(f"{email.message_id}: auto-sent without the sender's allowance")
        if email.kind in SINGLE_SENDER_FLOODS:
            account.conversation[f"{SINGLE_SENDER_FLOODS[email.kind]} emails"] += 1
            account.conversation[f"{SINGLE_SENDER_FLOODS[email.kind]} limit-held"] += held
    for sender, count in sorted(auto_sent.items()):
        if count > AUTO_REPLY_LIMIT:
            account.flag("over the limit", count - AUTO_REPLY_LIMIT, f"{sender}: {count} automatic replies")
    for kind, sender in ((k, FLOOD_SENDERS[k]) for k in SINGLE_SENDER_FLOODS):
        figure = SINGLE_SENDER_FLOODS[kind]
        sent = auto_sent[sender]
        account.conversation[f"{figure} auto-sent"] = sent
        if account.conversation[f"{figure} emails"] >= AUTO_REPLY_LIMIT and sent != AUTO_REPLY_LIMIT:
            account.mismatches.append(f"{sender}: {sent} automatic replies, expected {AUTO_REPLY_LIMIT}")


# The emails one mailbox writes in the first second, and the figures that count them.
SINGLE_SENDER_FLOODS = {"limit": "limit sender", PLUS_FLOOD: "plus flood"}
FLOOD_SENDERS = {"limit": LIMIT_SENDER, PLUS_FLOOD: PLUS_SENDER}
