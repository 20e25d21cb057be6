"""The reply as a message: built once, saved as a draft, sent and filed under one Message-ID.

Everything about a reply follows from the message it answers: the draft's
id, the key header the provider finds the draft by, and the reply's
Message-ID. A workflow answers a message once, so that Message-ID is fixed
by the workflow's input; a retried send can look for it in Sent before it
sends again.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from triage.mail.errors import MailNotFound
from triage.mail.imap.mime import DRAFT_KEY_HEADER, ParsedMail, parse_mail
from triage.mail.models import MailDraft

DRAFT_ID_PREFIX = "dr_"
REPLY_TO_HEADER = "X-Triage-Reply-To"
_MAX_REFERENCES = 20  # RFC 5322 lets clients trim: keep the root and the newest


def reply_key(inbox_id: str, reply_to_message_id: str) -> str:
    return hashlib.sha256(f"{inbox_id}\0{reply_to_message_id}".encode()).hexdigest()[:32]


def draft_id_for(key: str) -> str:
    return DRAFT_ID_PREFIX + key


def key_of(draft_id: str) -> str:
    key = draft_id.removeprefix(DRAFT_ID_PREFIX)
    if (
        not draft_id.startswith(DRAFT_ID_PREFIX)
        or len(key) != 32
        or not all(c in "0123456789abcdef" for c in key)
    ):
        raise MailNotFound(f"no such draft: {draft_id[:80]!r}")
    return key


def reply_message_id(key: str, address: str) -> str:
    """The reply's Message-ID (bare), on the mailbox's own domain."""
    return f"triage.{key}@{address.rpartition('@')[2] or 'localhost'}"


def build_reply(
    *,
    key: str,
    address: str,
    to: list[str],
    subject: str,
    plain_body: str,
    html_body: str | None,
    reply_to_message_id: str,
    parent: ParsedMail | None,
) -> EmailMessage:
    """The reply with In-Reply-To and References of ``parent`` (the customer's message), when known."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = address
    if to:
        message["To"] = ", ".join(to)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{reply_message_id(key, address)}>"
    if parent is not None and parent.rfc_message_id:
        chain = [*parent.references, parent.rfc_message_id]
        if len(chain) > _MAX_REFERENCES:
            chain = [chain[0], *chain[-(_MAX_REFERENCES - 1) :]]
        message["In-Reply-To"] = f"<{parent.rfc_message_id}>"
        message["References"] = " ".join(f"<{ref}>" for ref in chain)
    message[DRAFT_KEY_HEADER] = key
    message[REPLY_TO_HEADER] = reply_to_message_id
    message.set_content(plain_body)
    if html_body is not None:
        message.add_alternative(html_body, subtype="html")
    return message


def with_body(raw: bytes, *, plain_body: str, html_body: str | None) -> EmailMessage:
    """A saved draft with its body replaced (its headers, and so its Message-ID, kept)."""
    old = parse_mail(raw, headers_only=True)
    parent = ParsedMail(
        rfc_message_id=old.in_reply_to[0] if old.in_reply_to else None,
        triage_id="",
        in_reply_to=[],
        references=old.references[:-1] if old.in_reply_to else [],
        from_address="",
        reply_to=None,
        to=[],
        subject="",
        date=None,
    )
    source = _headers(raw)
    return build_reply(
        key=old.draft_key or "",
        address=old.from_address,
        to=old.to,
        subject=old.subject,
        plain_body=plain_body,
        html_body=html_body,
        reply_to_message_id=source.get(REPLY_TO_HEADER, ""),
        parent=parent,
    )


def for_sending(raw: bytes) -> EmailMessage:
    """The draft as it goes out: our bookkeeping headers dropped, dated now."""
    from email import message_from_bytes

    message = message_from_bytes(raw, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    for name in (DRAFT_KEY_HEADER, REPLY_TO_HEADER):
        del message[name]
    del message["Date"]
    message["Date"] = formatdate(usegmt=True)
    return message


def to_draft(raw: bytes) -> MailDraft:
    mail = parse_mail(raw)
    return MailDraft(
        id=draft_id_for(mail.draft_key or ""),
        to=mail.to,
        subject=mail.subject,
        plain_body=mail.plain_body,
        reply_to_message_id=_headers(raw).get(REPLY_TO_HEADER) or None,
    )


def _headers(raw: bytes) -> dict[str, str]:
    from email.parser import BytesHeaderParser

    parsed = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    return {name: str(value) for name, value in parsed.raw_items()}
