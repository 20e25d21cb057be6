"""The emulator's REST wire shapes: camelCase request bodies (checked the way a
mail service checks them) and the JSON it answers with."""

import re
from email.utils import getaddresses
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from triage.mail.sim.records import Draft, Inbox, Message

# "ann@example.org" or "Ann Lee <ann@example.org>"; loose about names, like most mail APIs.
_ADDRESS = re.compile(r"^(?:[^<>]*<)?\s*[^@\s<>]+@[^@\s<>]+\s*>?$")
# What a real mail service refuses in a header: CR, LF and the other control characters.
HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _as_list(value: Any) -> Any:
    """One recipient may be given as a bare string, as mail APIs commonly allow."""
    return [value] if isinstance(value, str) else value


def single_address(value: str) -> bool:
    """One address per list item: no header injection, no "a@x, Eve <e@y>" lists."""
    if HEADER_CONTROL.search(value) or not _ADDRESS.match(value.strip()):
        return False
    try:
        return len([pair for pair in getaddresses([value]) if any(pair)]) == 1
    except Exception:  # unparseable is not an address
        return False


def _checked_addresses(values: list[str]) -> list[str]:
    for value in values:
        if not single_address(value):
            raise ValueError(f"{value!r} is not a single email address")
    return [v.strip() for v in values]


def _checked_header(value: str | None) -> str | None:
    if value is not None and HEADER_CONTROL.search(value):
        raise ValueError("control characters (CR, LF, ...) are not allowed in a header")
    return value


Recipients = Annotated[list[str], BeforeValidator(_as_list), AfterValidator(_checked_addresses)]
LooseRecipients = Annotated[list[str], BeforeValidator(_as_list)]
HeaderText = Annotated[str, AfterValidator(_checked_header)]


def _encodable(value: Any) -> Any:
    """Text a mail service can store and send: a lone surrogate (JSON "\\ud800") is not."""
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text that is not valid Unicode (a lone surrogate)") from None
    return value


class _TextBody(BaseModel):
    """A request body whose every text field is encodable: a 400, never a 500 from the store."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_encodable(cls, value: Any) -> Any:
        return _encodable(value)


class _CamelBody(_TextBody):
    model_config = ConfigDict(alias_generator=to_camel, extra="ignore")


class InboxCreate(_CamelBody):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")] | None = None
    display_name: str | None = None
    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] | None = None


class SendBody(_CamelBody):
    to: Recipients = Field(min_length=1)
    subject: HeaderText
    plain_body: str | None = None
    html_body: str | None = None
    reply_to: Recipients | None = None


class ReplyBody(_CamelBody):
    plain_body: str
    html_body: str | None = None


class DraftFields(_CamelBody):
    """Create body, and merge-patch body: ``model_fields_set`` tells what was given."""

    to: Recipients | None = None
    cc: Recipients | None = None
    bcc: Recipients | None = None
    subject: HeaderText | None = None
    plain_body: str | None = None
    html_body: str | None = None
    reply_to_message_id: str | None = None


class SimInbound(_TextBody):
    """Body of ``POST /_sim/inbound`` (snake_case, like the socket frames it causes)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    inbox_id: str | None = None
    from_: str = Field(alias="from", min_length=1)
    subject: str = ""
    plain_body: str = ""
    html_body: str | None = None
    thread_id: str | None = None
    to: LooseRecipients | None = None


# ---- response bodies --------------------------------------------------------------


def inbox_json(inbox: Inbox) -> dict[str, Any]:
    return {
        "id": inbox.id,
        "email": inbox.email,
        "username": inbox.username,
        "domain": inbox.domain,
        "displayName": inbox.display_name,
        "createdAt": inbox.created_at,
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "from": message.sender,
        "to": message.to,
        "subject": message.subject,
        "plainBody": message.plain_body,
        "htmlBody": message.html_body,
        "isRead": message.is_read,
        "threadId": message.thread_id,
        "messageIdHeader": message.message_id_header,
        "inReplyTo": message.in_reply_to,
        "receivedAt": message.received_at,
        "attachments": [],
    }


def draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "inboxId": draft.inbox_id,
        "to": draft.to,
        "cc": draft.cc,
        "bcc": draft.bcc,
        "subject": draft.subject,
        "plainBody": draft.plain_body,
        "htmlBody": draft.html_body,
        "replyToMessageId": draft.reply_to_message_id,
        "createdAt": draft.created_at,
        "updatedAt": draft.updated_at,
    }


def pagination(total: int, limit: int, offset: int) -> dict[str, int]:
    return {"total": total, "limit": limit, "offset": offset}
