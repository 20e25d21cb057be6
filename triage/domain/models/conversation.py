"""Conversation models: a follow-up joining its thread's conversation, and the signals it sends.

Owned by ``workflows/conversation.py``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class JoinConversation(BaseModel):
    """A follow-up joins its thread's conversation."""

    inbox_id: str
    thread_id: str
    message_id: str
    workflow_id: str
    received_at: datetime | None = None
    closing: bool = False
    # The workflows of the thread's earlier customer messages: superseded when the
    # conversation starts (the first message of a thread never joins: it costs nothing).
    earlier_workflow_ids: list[str] = Field(default_factory=list)
    # The sender: the conversation is this customer's in this thread (None: the whole
    # thread's, as workflows started before issue 27 joined).
    customer: str | None = None


class ConversationTurn(BaseModel):
    """What joining told the message's workflow."""

    # The workflow of the earlier message whose review this message closed, if any.
    superseded: str | None = None
    # A newer message of the thread already took over: this one closes at once.
    superseded_by: str | None = None
    earlier: int = 0  # messages of this thread triaged before this one


class NewParticipant(BaseModel):
    """Signal to an open triage workflow: another sender wrote into its thread."""

    mailbox: str
    message_id: str


class Supersede(BaseModel):
    """Signal to an open triage workflow: a newer message of its thread takes over."""

    by_message_id: str
    by_workflow_id: str
    no_reply_needed: bool = False  # the newer message was a thank-you: close the same way
