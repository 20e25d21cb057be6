"""The emulator's records (inboxes, messages, drafts, threads, the sent log) and how a row becomes one."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def utc_now() -> str:
    """Millisecond ISO-8601 with ``Z``: fixed width, so text order is time order."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Inbox:
    id: str
    email: str
    username: str
    domain: str
    display_name: str | None
    created_at: str


@dataclass(frozen=True)
class Message:
    id: str
    inbox_id: str
    direction: str
    sender: str
    to: list[str]
    subject: str
    plain_body: str | None
    html_body: str | None
    is_read: bool
    thread_id: str
    message_id_header: str
    in_reply_to: str | None
    received_at: str


@dataclass(frozen=True)
class Draft:
    id: str
    inbox_id: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str | None
    plain_body: str | None
    html_body: str | None
    reply_to_message_id: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Thread:
    id: str
    inbox_id: str
    subject: str


@dataclass(frozen=True)
class SentRecord:
    message_id: str
    inbox_id: str
    to: list[str]
    subject: str
    plain_body: str | None
    in_reply_to: str | None
    draft_id: str | None
    sent_at: str


def inbox_of(row: sqlite3.Row) -> Inbox:
    return Inbox(
        row["id"], row["email"], row["username"], row["domain"], row["display_name"], row["created_at"]
    )


def message_of(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        inbox_id=row["inbox_id"],
        direction=row["direction"],
        sender=row["sender"],
        to=json.loads(row["recipients"]),
        subject=row["subject"],
        plain_body=row["plain_body"],
        html_body=row["html_body"],
        is_read=bool(row["is_read"]),
        thread_id=row["thread_id"],
        message_id_header=row["message_id_header"],
        in_reply_to=row["in_reply_to"],
        received_at=row["received_at"],
    )


def draft_of(row: sqlite3.Row) -> Draft:
    return Draft(
        id=row["id"],
        inbox_id=row["inbox_id"],
        to=json.loads(row["recipients"]),
        cc=json.loads(row["cc"]),
        bcc=json.loads(row["bcc"]),
        subject=row["subject"],
        plain_body=row["plain_body"],
        html_body=row["html_body"],
        reply_to_message_id=row["reply_to_message_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def sent_of(row: sqlite3.Row) -> SentRecord:
    return SentRecord(
        message_id=row["message_id"],
        inbox_id=row["inbox_id"],
        to=json.loads(row["recipients"]),
        subject=row["subject"],
        plain_body=row["plain_body"],
        in_reply_to=row["in_reply_to"],
        draft_id=row["draft_id"],
        sent_at=row["sent_at"],
    )
