"""From a socket event or a REST message to the workflow's InboundMessage.

Also the pure decision of which mail must never start a triage: our own
mail, auto-replies and bounces (answering them is how mail loops start).
"""

from __future__ import annotations

import re
from datetime import datetime

from triage.llm.text import html_to_text
from triage.mail.frames import EventMessage
from triage.mail.schema import MailMessage
from triage.models import InboundMessage

# Temporal payloads are capped (2 MB by default); the full text stays in the inbox.
MAX_PLAIN_CHARS = 50_000
MAX_HTML_CHARS = 100_000

_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[- ]?(reply|response|antwort)|out of (the )?office|abwesenheitsnotiz|"
    r"r[ée]ponse automatique|respuesta autom[áa]tica|resposta autom[áa]tica|"
    r"delivery status notification|undeliver(able|ed)|mail delivery (failed|failure)|"
    r"returned mail|failure notice)\b",
    re.IGNORECASE,
)
_SYSTEM_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_ADDRESS = re.compile(r"<([^<>]+)>\s*$")


def bare_address(value: str) -> str:
    """``"Ann <ann@x.org>"`` -> ``ann@x.org`` (lower-cased)."""
    match = _ADDRESS.search(value)
    return (match.group(1) if match else value).strip().lower()


def skip_reason(from_address: str, subject: str, own_addresses: set[str]) -> str | None:
    sender = bare_address(from_address)
    if sender and sender in own_addresses:
        return "sent by this inbox (loop)"
    if _SYSTEM_SENDER.match(sender):
        return "bounce from a mail system"
    if _AUTO_REPLY_SUBJECT.match(subject or ""):
        return "automatic reply"
    return None


def _bounded(text: str, limit: int) -> tuple[str, bool]:
    return (text[:limit], True) if len(text) > limit else (text, False)


def build_inbound(
    *,
    message_id: str,
    inbox_id: str,
    thread_id: str | None,
    from_address: str,
    to: list[str],
    subject: str | None,
    plain_body: str | None,
    html_body: str | None,
    received_at: datetime | None,
) -> InboundMessage:
    text = plain_body or ""
    if not text.strip() and html_body:
        text = html_to_text(html_body)
    plain, plain_cut = _bounded(text, MAX_PLAIN_CHARS)
    html, html_cut = _bounded(html_body, MAX_HTML_CHARS) if html_body else (None, False)
    return InboundMessage(
        message_id=message_id,
        inbox_id=inbox_id,
        thread_id=thread_id,
        from_address=from_address,
        to=to,
        subject=(subject or "")[:1000],
        plain_body=plain,
        html_body=html,
        received_at=received_at,
        body_chars=len(text),
        truncated=plain_cut or html_cut,
    )


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
