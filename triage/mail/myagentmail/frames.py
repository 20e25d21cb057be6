"""Parsing of myagentmail WebSocket frames (snake_case), strict about shape.

A frame that does not parse raises ``FrameError`` with a short reason; the
watcher logs it and goes on, because one bad frame must not stop the inbox.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_FRAME_BYTES = 32 * 1024 * 1024


class FrameError(ValueError):
    pass


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ConnectedFrame(_Frame):
    type: Literal["connected"]
    inbox_id: str | None = Field(None, alias="inboxId")
    email: str | None = None


class SubscribedFrame(_Frame):
    type: Literal["subscribed"]
    event_types: list[str] = Field(default_factory=list)
    inbox_ids: list[str] = Field(default_factory=list)


class PingFrame(_Frame):
    type: Literal["ping"]


class ErrorFrame(_Frame):
    type: Literal["error"]
    message: str = ""


class EventMessage(_Frame):
    inbox_id: str
    message_id: str = Field(min_length=1, max_length=512)
    thread_id: str | None = None
    from_: str = Field("", alias="from")
    to: list[str] = Field(default_factory=list)
    subject: str | None = ""
    plain_body: str | None = ""
    html_body: str | None = None
    timestamp: str | None = None


class EventFrame(_Frame):
    type: Literal["event"]
    event_type: str
    event_id: str | None = None
    message: EventMessage | None = None


Frame = Annotated[
    ConnectedFrame | SubscribedFrame | PingFrame | ErrorFrame | EventFrame,
    Field(discriminator="type"),
]
_FRAME = TypeAdapter(Frame)


def parse_frame(raw: str | bytes) -> Frame:
    if len(raw) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(raw)} bytes exceeds {MAX_FRAME_BYTES}")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FrameError(f"frame is a JSON {type(data).__name__}, not an object")
    try:
        return _FRAME.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FrameError(f"frame type {data.get('type')!r}: {where}: {first['msg']}") from None


def subscribe_frame(inbox_ids: list[str]) -> str:
    return json.dumps(
        {
            "type": "subscribe",
            "event_types": ["message.received"],
            "inbox_ids": inbox_ids,
            "workspace_ids": [],
        }
    )
