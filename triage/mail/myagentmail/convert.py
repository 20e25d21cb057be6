"""myagentmail's wire shapes as the provider-neutral models the activities and the watcher read."""

from __future__ import annotations

from datetime import datetime

from triage.domain.inbound import build_inbound
from triage.domain.models import InboundMessage
from triage.mail.models import MailDraft, MailThread, SentMail, ThreadMessage
from triage.mail.myagentmail.frames import EventMessage
from triage.mail.myagentmail.schema import Draft, MailMessage, SendResult, Thread


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def from_event(event: EventMessage) -> InboundMessage:
    return build_inbound(
        message_id=event.message_id,
        inbox_id=event.inbox_id,
        thread_id=event.thread_id,
        from_address=event.from_,
        to=event.to,
        subject=event.subject,
        plain_body=event.plain_body,
        html_body=event.html_body,
        received_at=_parse_time(event.timestamp),
    )


def from_rest(message: MailMessage, inbox_id: str) -> InboundMessage:
    return build_inbound(
        message_id=message.id,
        inbox_id=inbox_id,
        thread_id=message.thread_id,
        from_address=message.from_,
        to=message.to,
        subject=message.subject,
        plain_body=message.plain_body,
        html_body=message.html_body,
        received_at=message.received_at,
    )


def to_draft(draft: Draft) -> MailDraft:
    return MailDraft.model_validate(draft, from_attributes=True)  # the same field names


def to_sent(result: SendResult) -> SentMail:
    return SentMail.model_validate(result, from_attributes=True)


def to_thread(thread: Thread) -> MailThread:
    return MailThread(
        thread_id=thread.thread_id,
        messages=[
            ThreadMessage(
                id=message.id,
                outbound=message.direction == "outbound",
                from_address=message.from_,
                in_reply_to=message.in_reply_to,
                plain_body=message.plain_body,
                html_body=message.html_body,
                received_at=message.received_at,
            )
            for message in thread.messages
        ],
    )
