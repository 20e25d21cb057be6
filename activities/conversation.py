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

from triage import contracts
from triage.models import AutoReplyAllowance, ConversationTurn, JoinConversation, ReserveAutoReply
from triage.temporal_client import update_with_start


class ConversationActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @activity.defn
    async def join_conversation(self, request: JoinConversation) -> ConversationTurn:
        return await self._update_with_start(
            contracts.CONVERSATION_WORKFLOW,
            {"inbox_id": request.inbox_id, "thread_id": request.thread_id},
            contracts.conversation_id(self._task_queue, request.inbox_id, request.thread_id),
            contracts.CONVERSATION_JOIN,
            request,
            update_id=f"join-{request.message_id}",
            result_type=ConversationTurn,
        )

    @activity.defn
    async def reserve_auto_reply(self, request: ReserveAutoReply) -> AutoReplyAllowance:
        return await self._update_with_start(
            contracts.AUTO_REPLY_COUNTER_WORKFLOW,
            {"inbox_id": request.inbox_id},
            contracts.auto_reply_counter_id(self._task_queue, request.inbox_id, request.sender),
            contracts.AUTO_REPLY_RESERVE,
            request,
            update_id=f"reserve-{request.workflow_id}",
            result_type=AutoReplyAllowance,
        )

    async def _update_with_start(
        self, workflow: str, state: dict[str, Any], workflow_id: str, update: str, request: Any, *, update_id: str, result_type: type
    ) -> Any:
        # The state type lives with the workflow; a plain dict crosses the converter the same way.
        return await update_with_start(
            self._client, workflow, state, workflow_id=workflow_id, task_queue=self._task_queue,
            update=update, request=request, result_type=result_type, update_id=update_id,
        )
