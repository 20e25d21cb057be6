"""Two small workflows that make conversations exact where a visibility count
would only be eventually consistent.

``ConversationWorkflow`` (one per thread with follow-ups) serialises the
thread's follow-ups: each joins it through update-with-start, and the newest
message takes over, telling the earlier open review (a Signal) that it is
superseded, whatever order the workflows run in. The first message of a
thread never joins (most threads have one message: they cost nothing); the
first follow-up supersedes it by its deterministic workflow id, and a first
message whose workflow starts late sees the follow-up in its thread.
``AutoReplyCounterWorkflow`` (64 per inbox, each sender always on the same
one) hands out automatic replies, at most K per sender per window, counted exactly even when ten messages arrive
in the same second. Both end on their own when idle and bound their history
with continue-as-new.

Orchestration only: no I/O, time from ``workflow.now()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow

from workflows import versions

with workflow.unsafe.imports_passed_through():
    from triage.domain.contracts import SUPERSEDE_SIGNAL
    from triage.domain.models import (
        AutoReplyAllowance,
        ConversationTurn,
        JoinConversation,
        ReserveAutoReply,
        Supersede,
    )
    from triage.domain.senders import MAILBOX, Budget

# A conversation is kept this long after its last message (reviews expire after 72 h).
CONVERSATION_IDLE = timedelta(days=7)
# Joins remembered for idempotent retries of the join activity.
REMEMBERED_JOINS = 200
# Answers the inbox's counter remembers (by asking workflow), for retries and audits.
REMEMBERED_ANSWERS = 5_000


async def serve_until_idle(
    requests: Callable[[], int], idle: Callable[[], timedelta], state: BaseModel
) -> None:
    """Answer updates until none came for ``idle()``; continue as new when the history grows."""
    while True:
        seen = requests()

        def came(seen: int = seen) -> bool:
            return requests() != seen

        try:
            await workflow.wait_condition(came, timeout=idle())
        except asyncio.TimeoutError:
            break
        if workflow.info().is_continue_as_new_suggested():
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(state)
    await workflow.wait_condition(workflow.all_handlers_finished)


class ConversationState(BaseModel):
    inbox_id: str
    thread_id: str
    latest_message_id: str | None = None
    latest_workflow_id: str | None = None
    latest_received_at: datetime | None = None
    joined: int = 0
    turns: dict[str, ConversationTurn] = Field(default_factory=dict)  # by message id


@workflow.defn
class ConversationWorkflow:
    @workflow.init
    def __init__(self, state: ConversationState) -> None:
        self._state = state

    @workflow.run
    async def run(self, state: ConversationState) -> None:
        await serve_until_idle(lambda: self._state.joined, lambda: CONVERSATION_IDLE, self._state)

    @workflow.query
    def state(self) -> ConversationState:
        return self._state

    @workflow.update
    async def join(self, request: JoinConversation) -> ConversationTurn:
        known = self._state.turns.get(request.message_id)
        if known is not None:
            return known  # a retried join gets the same answer
        state = self._state
        turn = ConversationTurn(earlier=state.joined)
        superseded: list[str] = []
        if state.latest_workflow_id is not None and self._older(request):
            turn.superseded_by = state.latest_workflow_id
        else:
            if state.latest_workflow_id is None:
                # The conversation starts with its first follow-up: the thread's earlier
                # messages never joined, so they are superseded by their workflow ids.
                superseded = [w for w in request.earlier_workflow_ids if w != request.workflow_id]
            else:
                superseded = [state.latest_workflow_id]
            turn.superseded = superseded[-1] if superseded else None
            state.latest_message_id = request.message_id
            state.latest_workflow_id = request.workflow_id
            state.latest_received_at = request.received_at
        state.joined += 1
        state.turns[request.message_id] = turn
        if len(state.turns) > REMEMBERED_JOINS:
            state.turns.pop(next(iter(state.turns)))
        for workflow_id in superseded:
            await self._supersede(workflow_id, request)
        return turn

    def _older(self, request: JoinConversation) -> bool:
        """Did this message arrive before the thread's latest one (a late join)?"""
        latest = self._state.latest_received_at
        return request.received_at is not None and latest is not None and request.received_at < latest

    async def _supersede(self, workflow_id: str, by: JoinConversation) -> None:
        handle = workflow.get_external_workflow_handle(workflow_id)
        try:
            await handle.signal(
                SUPERSEDE_SIGNAL,
                Supersede(
                    by_message_id=by.message_id, by_workflow_id=by.workflow_id, no_reply_needed=by.closing
                ),
            )
        except Exception as err:
            # Expected: the earlier workflow finished already (decided, expired), so nothing is open to close.
            workflow.logger.debug("%s was not told it is superseded: %s", workflow_id, err)


class CounterState(BaseModel):
    inbox_id: str
    sent_at: dict[str, list[datetime]] = Field(
        default_factory=dict
    )  # by budget key (the sender, before budgets)
    answers: dict[str, AutoReplyAllowance] = Field(default_factory=dict)  # by workflow id


@workflow.defn
class AutoReplyCounterWorkflow:
    @workflow.init
    def __init__(self, state: CounterState) -> None:
        self._state = state
        self._window = timedelta(hours=24)
        self._requests = 0

    @workflow.run
    async def run(self, state: CounterState) -> None:
        # A whole window without a request: every count has expired, the counter may end.
        await serve_until_idle(lambda: self._requests, lambda: self._window, self._state)

    @workflow.query
    def state(self) -> CounterState:
        return self._state

    @workflow.update
    def reserve(self, request: ReserveAutoReply) -> AutoReplyAllowance:
        self._requests += 1
        budgets = request.budgets or [
            Budget(kind=MAILBOX, key=request.sender, limit=request.limit, window=request.window)
        ]
        self._window = max(b.window for b in budgets)
        # By asking workflow: it asks each counter once (the domain's, then the inbox's own).
        known = self._state.answers.get(request.workflow_id)
        if known is not None:
            return known
        now = workflow.now()
        # Forget what left every window: the state stays small.
        self._state.sent_at = {
            key: kept
            for key, times in self._state.sent_at.items()
            if (kept := [t for t in times if now - t < self._window])
        }
        # Only the activity that shares the inbox budget asks with shared_inbox: a history
        # written before the shares never reaches the gate, so it replays as it ran.
        shared = request.shared_inbox and workflow.patched(versions.INBOX_BUDGET_SHARES)
        answer = self._count(budgets, now, shared)
        self._state.answers[request.workflow_id] = answer
        if len(self._state.answers) > REMEMBERED_ANSWERS:
            self._state.answers.pop(next(iter(self._state.answers)))
        return answer

    def _count(self, budgets: list[Budget], now: datetime, shared: bool) -> AutoReplyAllowance:
        """All budgets must have room (the first full one answers), except a share of the inbox
        budget (``shared``): when it is full the others are counted and the pool decides."""
        used = {b.key: self._used(b, now) for b in budgets}
        for budget in budgets:
            if used[budget.key] >= budget.limit and not (shared and budget.share):
                return AutoReplyAllowance(
                    allowed=False,
                    used=used[budget.key],
                    limit=budget.limit,
                    budget=budget.kind,
                    key=budget.key,
                    full_until=self._full_until(budget, now) if shared else None,
                )
        overflow = False
        for budget in budgets:
            if budget.share and shared and used[budget.key] >= budget.limit:
                overflow = True  # not counted here: the pool counts it if it has room
            else:
                self._state.sent_at.setdefault(budget.key, []).append(now)
        first = budgets[0]
        return AutoReplyAllowance(
            allowed=True,
            used=self._used(first, now),
            limit=first.limit,
            budget=first.kind,
            key=first.key,
            pool=overflow,
        )

    def _used(self, budget: Budget, now: datetime) -> int:
        return sum(now - t < budget.window for t in self._state.sent_at.get(budget.key, []))

    def _full_until(self, budget: Budget, now: datetime) -> datetime | None:
        """When a full budget has room again: its oldest reply that still counts leaves the window."""
        counted = sorted(t for t in self._state.sent_at.get(budget.key, []) if now - t < budget.window)
        excess = len(counted) - budget.limit
        # None: a budget of 0 never has room (or it has room now).
        return counted[excess] + budget.window if 0 <= excess < len(counted) else None
