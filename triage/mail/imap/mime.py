"""Mail as it comes, read with the standard library's ``email`` package (policy ``default``).

Everything here is pure: raw RFC 5322 bytes in, plain values out. Bodies
are untrusted and often broken: an unknown or wrong charset is decoded
with replacement characters, never raised; attachments are listed for the
reviewer, never parsed; a message over the size cap is not read at all and
says so (its size raises ``too_long``, so it goes to a human).

Identity: a message is identified by its Message-ID; one without gets an id
derived from what every delivery of it shares (the sender's headers and the
body, not the Received lines a server adds), so a second delivery of the
same mail maps to the same id, and so to the same workflow.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

MESSAGE_ID_PREFIX = "im_"
THREAD_ID_PREFIX = "th_"
_MSG_ID = re.compile(r"<([^<>\s]+)>")
# Reply and forward prefixes as mail clients write them (Outlook's RE:/AW:/SV:/VS:, Apple's Re:, tags).
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|vs|antw|réf|ref|rif|odp|fwd?|wg|tr|rv)\s*(?:\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)+",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def header_text(value: object) -> str:
    """A header as text: RFC 2047 words decoded; a header that does not parse is kept raw."""
    try:
        return str(value or "")
    except Exception:  # the header registry raises on some malformed values
        return ""


def message_ids(value: str | None) -> list[str]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order, bare."""
    return [found for found in _MSG_ID.findall(value or "")]


def id_for(message_id_header: str) -> str:
    """The triage id of a message whose Message-ID is ``message_id_header`` (bare, no brackets)."""
    digest = hashlib.sha256(b"message-id:" + message_id_header.strip().encode("utf-8", "replace")).hexdigest()
    return MESSAGE_ID_PREFIX + digest[:32]


def thread_id_for(root_message_id: str) -> str:
    digest = hashlib.sha256(b"thread:" + root_message_id.strip().encode("utf-8", "replace")).hexdigest()
    return THREAD_ID_PREFIX + digest[:32]


def normalized_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and list tags, lower-cased, spaces collapsed."""
    return _SPACES.sub(" ", _REPLY_PREFIX.sub("", subject or "")).strip().lower()


def is_reply_subject(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject or "")) and normalized_subject(subject) != ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int

    def describe(self) -> str:
        kib = max(1, round(self.size / 1024))
        return f"{self.filename or '(unnamed)'} ({self.content_type}, {kib} KB)"


@dataclass
class ParsedMail:
    """One message's headers and bodies, decoded."""

    rfc_message_id: str | None  # bare, as the header gave it; None when missing
    triage_id: str
    in_reply_to: list[str]
    references: list[str]
    from_address: str
    reply_to: str | None
    to: list[str]
    subject: str
    date: datetime | None
    plain_body: str = ""
    html_body: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False
    draft_key: str | None = None  # our own header on drafts and sent replies
    # The topmost Authentication-Results: the one our own receiving server added (a sender
    # can forge any below it). triage.domain.senders.authentication_problem reads it.
    authentication_results: str | None = None


DRAFT_KEY_HEADER = "X-Triage-Reply-Key"


def parse_mail(raw: bytes, *, headers_only: bool = False) -> ParsedMail:
    """``raw`` (a whole message, or only its header block with ``headers_only``) parsed."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    mids = message_ids(_raw_header(msg, "Message-ID"))
    rfc_id = mids[0] if mids else None
    parsed = ParsedMail(
        rfc_message_id=rfc_id,
        triage_id=id_for(rfc_id) if rfc_id else content_id(msg),
        in_reply_to=message_ids(_raw_header(msg, "In-Reply-To")),
        references=message_ids(_raw_header(msg, "References")),
        from_address=_raw_header(msg, "From"),
        reply_to=_raw_header(msg, "Reply-To") or None,
        to=[addr for _, addr in getaddresses([_raw_header(msg, "To"), _raw_header(msg, "Cc")]) if addr],
        subject=_decoded_header(msg, "Subject"),
        date=_date(msg),
        auto_submitted=_raw_header(msg, "Auto-Submitted").strip().lower() not in ("", "no"),
        draft_key=_raw_header(msg, DRAFT_KEY_HEADER).strip() or None,
        authentication_results=str((msg.get_all("Authentication-Results") or [""])[0]) or None,
    )
    if not headers_only:
        parsed.plain_body, parsed.html_body, parsed.attachments = _bodies(msg)
    return parsed


def content_id(msg: EmailMessage) -> str:
    """A stable id for a message without a Message-ID: its author's headers and its body.

    Not the whole raw message: each delivery adds its own Received and
    Delivered-To lines, and the same mail delivered twice must map to one id.
    """
    digest = hashlib.sha256(b"content:")
    for name in ("From", "To", "Cc", "Date", "Subject"):
        digest.update(name.encode() + b"\0" + _raw_header(msg, name).encode("utf-8", "replace") + b"\0")
    payload = msg.get_payload(decode=False)
    body = (
        payload
        if isinstance(payload, str)
        else "".join(part.as_string() for part in msg.walk() if not part.is_multipart())
    )
    digest.update(body.replace("\r\n", "\n").strip().encode("utf-8", "replace"))
    return MESSAGE_ID_PREFIX + "c" + digest.hexdigest()[:31]


def _raw_header(msg: EmailMessage, name: str) -> str:
    """A header's unfolded text without the registry's parsing (which may raise on bad input)."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return _SPACES.sub(" ", str(value)).strip()
    return ""


def _decoded_header(msg: EmailMessage, name: str) -> str:
    try:
        return header_text(msg.get(name))
    except Exception:  # a header the registry cannot parse: keep its raw text
        return _raw_header(msg, name)


def _date(msg: EmailMessage) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


def _payload(part: EmailMessage) -> bytes:
    """A leaf part's decoded bytes; empty when it has none."""
    payload = part.get_payload(decode=True)  # typed as a union: bytes for a leaf, None for a multipart
    return payload if isinstance(payload, bytes) and payload else b""


def _text_of(part: EmailMessage) -> str:
    """A text part's content; an unknown or lying charset decodes with replacement characters."""
    payload = _payload(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return payload.decode("utf-8", errors="replace")


def _bodies(msg: EmailMessage) -> tuple[str, str | None, list[Attachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        content_type = part.get_content_type()
        filename = _filename(part)
        if disposition == "attachment" or filename or not content_type.startswith("text/"):
            payload = _payload(part)
            attachments.append(Attachment(filename or "", content_type, len(payload)))
        elif content_type == "text/plain":
            plain.append(_text_of(part))
        elif content_type == "text/html":
            html.append(_text_of(part))
    return "\n".join(plain).strip(), ("\n".join(html) or None), attachments


def _filename(part: EmailMessage) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter
        return ""
