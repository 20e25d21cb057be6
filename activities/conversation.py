"""Conversation activities: join a thread's conversation, reserve an automatic reply.

Thin adapters over update-with-start: the per-thread and per-sender workflows
(workflows/conversation.py) hold the state and serialise the requests, so the
answers are exact under any race. Idempotent: the update id is derived from
the asking workflow, and both workflows answer a repeated request as before.
"""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.client import Client

from triage.domain import contracts
from triage.domain.models import AutoReplyAllowance, ConversationTurn, JoinConversation, ReserveAutoReply
from triage.domain.senders import INBOX, budgets, counter_key, mailbox
from triage.runtime.temporal_client import update_with_start


class ConversationActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

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
        """The mailbox and domain budgets on the domain's counter, then the inbox's own counter.

        In that order, so a sender already at its limit never spends the inbox's budget; an
        inbox budget found full after the domain counted the reply leaves that slot spent
        (fewer automatic replies, never more).
        """
        if request.domain_limit is None or request.inbox_limit is None or request.budget_window is None:
            drawn = []  # a workflow started before budgets: its sender as it was counted then
            key = request.sender
        else:
            drawn = budgets(
                request.sender,
                per_sender=request.limit,
                sender_window=request.window,
                per_domain=request.domain_limit,
                per_inbox=request.inbox_limit,
                window=request.budget_window,
            )
            key = counter_key(request.sender)
        shared = [b for b in drawn if b.kind != INBOX]
        inbox = [b for b in drawn if b.kind == INBOX]
        answer = await self._reserve(
            request.model_copy(update={"budgets": shared}),
            contracts.auto_reply_counter_id(self._task_queue, request.inbox_id, key),
            f"reserve-{request.workflow_id}",
        )
        if answer.allowed and inbox:
            answer_inbox = await self._reserve(
                request.model_copy(update={"budgets": inbox}),
                contracts.inbox_reply_counter_id(self._task_queue, request.inbox_id),
                f"reserve-inbox-{request.workflow_id}",
            )
            if not answer_inbox.allowed:
                return answer_inbox
        return answer

    async def _reserve(
        self, request: ReserveAutoReply, workflow_id: str, update_id: str
    ) -> AutoReplyAllowance:
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
            task_queue=self._task_queue,
            update=update,
            request=request,
            result_type=result_type,
            update_id=update_id,
        )
