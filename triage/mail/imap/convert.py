"""IMAP mail as the provider-neutral models: inbound messages, thread entries, drafts."""

from __future__ import annotations

from triage.domain.inbound import build_inbound
from triage.domain.models import InboundMessage
from triage.mail.imap.index import Entry
from triage.mail.imap.mime import ParsedMail, id_for, parse_mail
from triage.mail.models import ThreadMessage


def oversize_note(size: int, cap: int) -> str:
    return (
        f"[This message is {size:,} bytes, over the mailbox's cap of {cap:,} bytes: it was not read. "
        "Open it in the mailbox.]"
    )


def attachments_note(mail: ParsedMail) -> str:
    if not mail.attachments:
        return ""
    return "\n\n[Attachments, not read: " + "; ".join(a.describe() for a in mail.attachments) + "]"


def to_inbound(entry: Entry, raw: bytes | None, *, inbox_id: str, thread_id: str, cap: int) -> InboundMessage:
    """``entry`` with its whole message ``raw`` (None: over the cap, only the headers are known).

    An oversized message keeps its real size in ``body_chars``, so the guardrails
    raise ``too_long`` and a human reads it in the mailbox.
    """
    mail = parse_mail(raw) if raw is not None else entry.mail
    plain = mail.plain_body + attachments_note(mail) if raw is not None else oversize_note(entry.size, cap)
    message = build_inbound(
        message_id=entry.mail.triage_id,
        inbox_id=inbox_id,
        thread_id=thread_id,
        from_address=mail.from_address,
        to=mail.to,
        subject=mail.subject,
        plain_body=plain,
        html_body=mail.html_body if raw is not None else None,
        received_at=mail.date or entry.arrived,
        reply_to=mail.reply_to,
        authentication_results=mail.authentication_results,
    )
    if raw is None:
        message.body_chars = max(message.body_chars, entry.size)
    return message


def to_thread_message(entry: Entry, raw: bytes | None) -> ThreadMessage:
    mail = parse_mail(raw) if raw is not None else entry.mail
    parent = mail.in_reply_to[0] if mail.in_reply_to else None
    return ThreadMessage(
        id=entry.mail.triage_id,
        outbound=entry.outbound,
        from_address=mail.from_address,
        in_reply_to=id_for(parent) if parent else None,
        plain_body=mail.plain_body if raw is not None else None,
        html_body=mail.html_body if raw is not None else None,
        received_at=mail.date or entry.arrived,
    )
