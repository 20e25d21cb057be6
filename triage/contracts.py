"""Names that cross process boundaries: workflow, update and signal names that
activities and starters use without importing the workflow modules."""

from __future__ import annotations

import hashlib

SUPERSEDE_SIGNAL = "supersede"
CONVERSATION_WORKFLOW = "ConversationWorkflow"
CONVERSATION_JOIN = "join"
AUTO_REPLY_COUNTER_WORKFLOW = "AutoReplyCounterWorkflow"
AUTO_REPLY_RESERVE = "reserve"


# The task queue is part of the ids: a conversation's workflow runs where its
# messages' workflows run, and a deployment on another queue starts afresh.


def conversation_id(task_queue: str, inbox_id: str, thread_id: str) -> str:
    return f"conversation-{task_queue}-{inbox_id}-{thread_id}"


def auto_reply_counter_id(task_queue: str, inbox_id: str, sender: str) -> str:
    """One counter per sender address (hashed: addresses stay out of workflow ids)."""
    digest = hashlib.sha256(sender.strip().lower().encode()).hexdigest()[:20]
    return f"auto-replies-{task_queue}-{inbox_id}-{digest}"
