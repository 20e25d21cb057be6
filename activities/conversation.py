"""Conversation activities: join a thread's conversation, reserve an automatic reply.

Thin adapters over update-with-start: the per-thread and per-sender workflows
(workflows/conversation.py) hold the state and serialise the requests, so the
answers are exact under any race. Idempotent: the update id is derived from
the asking workflow, and both workflows answer a repeated request as before.
The inbox budget is shared over the sender counters (docs/performance.md,
"One Update per automatic reply"): its own counter is asked only past a share.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client

from triage.domain import contracts
from triage.domain.models import AutoReplyAllowance, ConversationTurn, JoinConversation, ReserveAutoReply
from triage.domain.senders import INBOX, Budget, budgets, counter_key, mailbox
from triage.runtime.temporal_client import update_with_start

# Updates one worker process keeps in flight on one counter workflow: Temporal refuses an
# eleventh (RESOURCE_EXHAUSTED), and two workflow workers still stay under it.
UPDATES_IN_FLIGHT = 5


class ConversationActivities:
    """``task_queue`` names the conversations and counters (their ids); they run on
    ``coordination_queue`` (by default the same), where their Updates never wait behind
    the triage workflows' tasks. One instance per process: it bounds the Updates in flight."""

    def __init__(self, client: Client, task_queue: str, coordination_queue: str | None = None) -> None:
        self._client = client
        self._task_queue = task_queue
        self._coordination_queue = coordination_queue or task_queue
        self._updates_in_flight: dict[str, asyncio.Semaphore] = {}
        # (pool counter, its limit) -> until when the pool said it was full.
        self._pool_full_until: dict[tuple[str, int], datetime] = {}

    @activity.defn
    async def join_conversation(self, request: JoinConversation) -> ConversationTurn:
        return await self._update_with_start(
            contracts.CONVERSATION_WORKFLOW,
            {"inbox_id": request.inbox_id, "thread_id": request.thread_id},
            contracts.conversation_id(
                self._task_queue,
                request.inbox_id,
                request.thread_id,
                mailbox(request.customer) if request.customer else None,
            ),
            contracts.CONVERSATION_JOIN,
            request,
            update_id=f"join-{request.message_id}",
            result_type=ConversationTurn,
        )

    @activity.defn
    async def reserve_auto_reply(self, request: ReserveAutoReply) -> AutoReplyAllowance:
        """One Update on the domain's counter: the mailbox, the domain and the counter's share of
        the inbox budget. Only a reply past that share asks the inbox's pool (a second Update).

        The pool is asked after the domain counted the reply, so a sender at its limit never
        spends the inbox's budget; a pool found full leaves that slot spent (fewer automatic
        replies, never more). A full pool is remembered until it has room again: a flood asks it
        once per worker, not once per message.
        """
        if request.domain_limit is None or request.inbox_limit is None or request.budget_window is None:
            # A workflow started before budgets: its sender as it was counted then.
            return await self._reserve(
                request,
                contracts.auto_reply_counter_id(self._task_queue, request.inbox_id, request.sender),
                f"reserve-{request.workflow_id}",
            )
        drawn, pool = budgets(
            request.sender,
            per_sender=request.limit,
            sender_window=request.window,
            per_domain=request.domain_limit,
            per_inbox=request.inbox_limit,
            window=request.budget_window,
            counters=contracts.AUTO_REPLY_COUNTERS,
        )
        answer = await self._reserve(
            request.model_copy(update={"budgets": drawn, "shared_inbox": True}),
            contracts.auto_reply_counter_id(self._task_queue, request.inbox_id, counter_key(request.sender)),
            f"reserve-{request.workflow_id}",
        )
        if not answer.pool:
            return answer  # refused, or counted within the counter's share
        share = drawn[-1].limit
        answer = await self._draw_on_pool(request, pool)
        # What this reply could draw on: its counter's share and the pool.
        return answer.model_copy(update={"used": share + answer.used, "limit": share + pool.limit})

    async def _draw_on_pool(self, request: ReserveAutoReply, pool: Budget) -> AutoReplyAllowance:
        pool_id = contracts.inbox_reply_counter_id(self._task_queue, request.inbox_id)
        full = (pool_id, pool.limit)
        async with self._in_flight(pool_id):
            until = self._pool_full_until.get(full)
            if until is not None and datetime.now(UTC) < until:
                return AutoReplyAllowance(
                    allowed=False, used=pool.limit, limit=pool.limit, budget=INBOX, key=pool.key
                )
            answer = await self._ask(
                request.model_copy(update={"budgets": [pool], "shared_inbox": True}),
                pool_id,
                f"reserve-inbox-{request.workflow_id}",
            )
            if not answer.allowed and answer.full_until is not None:
                self._pool_full_until[full] = answer.full_until  # before the next in line asks
        return answer

    def _in_flight(self, workflow_id: str) -> asyncio.Semaphore:
        """At most UPDATES_IN_FLIGHT of this process's Updates on one counter (Temporal takes 10)."""
        return self._updates_in_flight.setdefault(workflow_id, asyncio.Semaphore(UPDATES_IN_FLIGHT))

    async def _reserve(
        self, request: ReserveAutoReply, workflow_id: str, update_id: str
    ) -> AutoReplyAllowance:
        async with self._in_flight(workflow_id):
            return await self._ask(request, workflow_id, update_id)

    async def _ask(self, request: ReserveAutoReply, workflow_id: str, update_id: str) -> AutoReplyAllowance:
        return await self._update_with_start(
            contracts.AUTO_REPLY_COUNTER_WORKFLOW,
            {"inbox_id": request.inbox_id},
            workflow_id,
            contracts.AUTO_REPLY_RESERVE,
            request,
            update_id=update_id,
            result_type=AutoReplyAllowance,
        )

    async def _update_with_start(
        self,
        workflow: str,
        state: dict[str, Any],
        workflow_id: str,
        update: str,
        request: Any,
        *,
        update_id: str,
        result_type: type,
    ) -> Any:
        # The state type lives with the workflow; a plain dict crosses the converter the same way.
        return await update_with_start(
            self._client,
            workflow,
            state,
            workflow_id=workflow_id,
            # A conversation or counter already running keeps its queue (use-existing).
            task_queue=self._coordination_queue,
            update=update,
            request=request,
            result_type=result_type,
            update_id=update_id,
        )
