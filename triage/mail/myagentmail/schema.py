"""myagentmail wire shapes: REST bodies are camelCase, socket frames snake_case."""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Rest(BaseModel):
    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=to_camel),
        populate_by_name=True,
        extra="ignore",
    )


class Attachment(_Rest):
    id: str
    filename: str | None = None
    content_type: str | None = None
    size_bytes: int | None = None


class MailMessage(_Rest):
    id: str
    direction: str = "inbound"
    from_: str = Field("", validation_alias=AliasChoices("from", "from_"))
    to: list[str] = Field(default_factory=list)
    subject: str | None = ""
    plain_body: str | None = ""
    html_body: str | None = None
    is_read: bool = False
    thread_id: str | None = None
    message_id_header: str | None = None
    in_reply_to: str | None = None
    received_at: datetime | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class Pagination(_Rest):
    total: int = 0
    limit: int = 0
    offset: int = 0


class MessagePage(_Rest):
    messages: list[MailMessage]
    pagination: Pagination = Field(default_factory=Pagination)


class Thread(_Rest):
    thread_id: str
    message_count: int = 0
    messages: list[MailMessage] = Field(default_factory=list)


class Draft(_Rest):
    id: str
    inbox_id: str | None = None
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    bcc: list[str] = Field(default_factory=list)
    subject: str | None = None
    plain_body: str | None = None
    html_body: str | None = None
    reply_to_message_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DraftPage(_Rest):
    drafts: list[Draft]
    pagination: Pagination = Field(default_factory=Pagination)


class SendResult(_Rest):
    id: str | None = None
    thread_id: str | None = None
    status: str = "sent"
    message_id: str
    draft_id: str | None = None


class Inbox(_Rest):
    id: str
    email: str | None = None
    username: str | None = None
    display_name: str | None = None
