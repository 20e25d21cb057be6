"""What the workflow's activities read back from a mail provider, in no provider's shape.

Inbound mail itself is ``triage.domain.models.InboundMessage``: the workflow's input.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MailDraft(BaseModel):
    """A reply saved in the mailbox, not sent yet."""

    id: str
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str | None = None
    plain_body: str | None = None
    reply_to_message_id: str | None = None


class SentMail(BaseModel):
    """A draft the provider accepted for delivery."""

    message_id: str
    thread_id: str | None = None


class ThreadMessage(BaseModel):
    """One message of a conversation, ours (``outbound``) or the customer's."""

    id: str
    outbound: bool
    from_address: str = ""
    in_reply_to: str | None = None
    plain_body: str | None = None
    html_body: str | None = None
    received_at: datetime | None = None


class MailThread(BaseModel):
    """A conversation's messages, oldest first."""

    thread_id: str
    messages: list[ThreadMessage] = Field(default_factory=list)
