"""SQLite persistence for the emulator: inboxes, keys, messages, drafts, the sent log.

Everything the emulator knows lives in one file so that a restart on the same
file is invisible to clients, which is what the restart and catch-up tests rely
on. WAL mode lets a test or a person read the file while the emulator runs.

All methods are synchronous and are called from the event loop thread only:
there is no ``await`` inside a method, so each one is atomic with respect to
every other request (a draft cannot be sent twice by two racing requests).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from triage.mail.sim.records import (
    Draft,
    Inbox,
    Message,
    SentRecord,
    Thread,
    draft_of,
    inbox_of,
    message_of,
    new_id,
    sent_of,
    utc_now,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inboxes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY,
    inbox_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    inbox_id TEXT NOT NULL,
    subject TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    inbox_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    plain_body TEXT,
    html_body TEXT,
    is_read INTEGER NOT NULL,
    thread_id TEXT NOT NULL,
    message_id_header TEXT NOT NULL,
    in_reply_to TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_inbox ON messages (inbox_id, received_at, seq);
CREATE INDEX IF NOT EXISTS messages_by_thread ON messages (thread_id, seq);
CREATE TABLE IF NOT EXISTS drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    inbox_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    cc TEXT NOT NULL,
    bcc TEXT NOT NULL,
    subject TEXT,
    plain_body TEXT,
    html_body TEXT,
    reply_to_message_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sent (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    inbox_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    plain_body TEXT,
    in_reply_to TEXT,
    draft_id TEXT,
    sent_at TEXT NOT NULL
);
"""

DRAFT_FIELDS = ("to", "cc", "bcc", "subject", "plain_body", "html_body", "reply_to_message_id")
_LIST_FIELDS = ("to", "cc", "bcc")
_COLUMN = {"to": "recipients"}  # "to" is an SQL keyword


def _domain_of(address: str) -> str:
    return address.strip().strip("<>").rpartition("@")[2].rstrip(">").strip()


class Store:
    """The emulator's whole state, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self._db.execute(sql, args).fetchone()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Inboxes and keys

    def ensure_inbox(self, inbox_id: str, email: str) -> Inbox:
        """The configured inbox exists with the configured address (a restart may rename it)."""
        username, domain = email.rpartition("@")[0], _domain_of(email)
        self._db.execute(
            "INSERT INTO inboxes (id, email, username, domain, created_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET email = excluded.email, username = excluded.username, "
            "domain = excluded.domain",
            (inbox_id, email, username, domain, utc_now()),
        )
        inbox = self.inbox(inbox_id)
        assert inbox is not None
        return inbox

    def ensure_api_key(self, key: str, inbox_id: str) -> None:
        self._db.execute(
            "INSERT INTO api_keys (key, inbox_id, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET inbox_id = excluded.inbox_id",
            (key, inbox_id, utc_now()),
        )

    def inbox_for_key(self, key: str) -> Inbox | None:
        row = self._one("SELECT i.* FROM api_keys k JOIN inboxes i ON i.id = k.inbox_id WHERE k.key = ?", key)
        return inbox_of(row) if row else None

    def inbox(self, inbox_id: str) -> Inbox | None:
        row = self._one("SELECT * FROM inboxes WHERE id = ?", inbox_id)
        return inbox_of(row) if row else None

    def inboxes(self) -> list[Inbox]:
        return [inbox_of(r) for r in self._db.execute("SELECT * FROM inboxes ORDER BY seq")]

    def create_inbox(self, username: str, domain: str, display_name: str | None) -> tuple[Inbox, bool]:
        """Returns ``(inbox, existed)``: creating an existing address again is idempotent."""
        email = f"{username}@{domain}"
        row = self._one("SELECT * FROM inboxes WHERE lower(email) = lower(?)", email)
        if row:
            return inbox_of(row), True
        inbox_id = new_id("inb")
        self._db.execute(
            "INSERT INTO inboxes (id, email, username, domain, display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (inbox_id, email, username, domain, display_name, utc_now()),
        )
        inbox = self.inbox(inbox_id)
        assert inbox is not None
        return inbox, False

    # Messages and threads

    def add_message(
        self,
        inbox_id: str,
        *,
        direction: str,
        sender: str,
        to: list[str],
        subject: str,
        plain_body: str | None,
        html_body: str | None,
        thread_id: str | None = None,
        in_reply_to: str | None = None,
    ) -> Message:
        """Stores one message; ``thread_id=None`` starts a new thread."""
        with self._transaction():
            return self._insert_message(
                inbox_id, direction, sender, to, subject, plain_body, html_body, thread_id, in_reply_to
            )

    def _insert_message(
        self,
        inbox_id: str,
        direction: str,
        sender: str,
        to: list[str],
        subject: str,
        plain_body: str | None,
        html_body: str | None,
        thread_id: str | None,
        in_reply_to: str | None,
    ) -> Message:
        if thread_id is None:
            thread_id = new_id("thr")
            self._db.execute(
                "INSERT INTO threads (id, inbox_id, subject) VALUES (?, ?, ?)", (thread_id, inbox_id, subject)
            )
        message_id = new_id("msg")
        host = _domain_of(sender) or "mailsim.invalid"
        self._db.execute(
            "INSERT INTO messages (id, inbox_id, direction, sender, recipients, subject, plain_body, html_body, "
            "is_read, thread_id, message_id_header, in_reply_to, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                inbox_id,
                direction,
                sender,
                json.dumps(to),
                subject,
                plain_body,
                html_body,
                int(direction == "outbound"),  # one's own mail is never unread
                thread_id,
                f"<{message_id}@{host}>",
                in_reply_to,
                utc_now(),
            ),
        )
        message = self.message(inbox_id, message_id)
        assert message is not None
        return message

    def message(self, inbox_id: str, message_id: str) -> Message | None:
        row = self._one("SELECT * FROM messages WHERE inbox_id = ? AND id = ?", inbox_id, message_id)
        return message_of(row) if row else None

    def mark_read(self, message_id: str) -> None:
        self._db.execute("UPDATE messages SET is_read = 1 WHERE id = ?", (message_id,))

    def messages(
        self, inbox_id: str, *, direction: str | None, limit: int, offset: int
    ) -> tuple[list[Message], int]:
        """One page, newest first; and how many match in all."""
        where, args = "inbox_id = ?", [inbox_id]
        if direction:
            where += " AND direction = ?"
            args.append(direction)
        total = self._db.execute(f"SELECT count(*) FROM messages WHERE {where}", args).fetchone()[0]
        rows = self._db.execute(
            f"SELECT * FROM messages WHERE {where} ORDER BY received_at DESC, seq DESC LIMIT ? OFFSET ?",
            (*args, limit, offset),
        )
        return [message_of(r) for r in rows], total

    def thread(self, inbox_id: str, thread_id: str) -> Thread | None:
        row = self._one("SELECT * FROM threads WHERE inbox_id = ? AND id = ?", inbox_id, thread_id)
        return Thread(row["id"], row["inbox_id"], row["subject"]) if row else None

    def thread_messages(self, thread_id: str) -> list[Message]:
        """Oldest first, as a conversation reads."""
        rows = self._db.execute(
            "SELECT * FROM messages WHERE thread_id = ? ORDER BY received_at, seq", (thread_id,)
        )
        return [message_of(r) for r in rows]

    def latest_in_thread(self, thread_id: str) -> str | None:
        """The id a follow-up in this thread answers."""
        row = self._one(
            "SELECT id FROM messages WHERE thread_id = ? ORDER BY received_at DESC, seq DESC", thread_id
        )
        return row["id"] if row else None

    # Drafts

    def create_draft(self, inbox_id: str, fields: dict[str, Any]) -> Draft:
        now = utc_now()
        draft_id = new_id("drf")
        self._db.execute(
            "INSERT INTO drafts (id, inbox_id, recipients, cc, bcc, subject, plain_body, html_body, "
            "reply_to_message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft_id,
                inbox_id,
                json.dumps(fields.get("to") or []),
                json.dumps(fields.get("cc") or []),
                json.dumps(fields.get("bcc") or []),
                fields.get("subject"),
                fields.get("plain_body"),
                fields.get("html_body"),
                fields.get("reply_to_message_id"),
                now,
                now,
            ),
        )
        draft = self.draft(draft_id)
        assert draft is not None
        return draft

    def draft(self, draft_id: str, inbox_id: str | None = None) -> Draft | None:
        row = self._one("SELECT * FROM drafts WHERE id = ?", draft_id)
        if row is None or (inbox_id is not None and row["inbox_id"] != inbox_id):
            return None
        return draft_of(row)

    def drafts(self, inbox_id: str, *, limit: int, offset: int) -> tuple[list[Draft], int]:
        """One page, newest first; and how many there are."""
        total = self._db.execute("SELECT count(*) FROM drafts WHERE inbox_id = ?", (inbox_id,)).fetchone()[0]
        rows = self._db.execute(
            "SELECT * FROM drafts WHERE inbox_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            (inbox_id, limit, offset),
        )
        return [draft_of(r) for r in rows], total

    def update_draft(self, draft_id: str, fields: dict[str, Any]) -> Draft:
        """Sets exactly the given fields (a merge-patch: ``None`` clears) and bumps ``updated_at``."""
        sets, args = ["updated_at = ?"], [utc_now()]
        for name, value in fields.items():
            if name not in DRAFT_FIELDS:
                raise ValueError(f"not a draft field: {name}")
            sets.append(f"{_COLUMN.get(name, name)} = ?")
            args.append(json.dumps(value or []) if name in _LIST_FIELDS else value)
        self._db.execute(f"UPDATE drafts SET {', '.join(sets)} WHERE id = ?", (*args, draft_id))
        draft = self.draft(draft_id)
        assert draft is not None
        return draft

    def delete_draft(self, draft_id: str) -> bool:
        return self._db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,)).rowcount > 0

    # Sending

    def send(
        self,
        inbox: Inbox,
        *,
        to: list[str],
        subject: str,
        plain_body: str | None,
        html_body: str | None,
        thread_id: str | None = None,
        in_reply_to: str | None = None,
        draft_id: str | None = None,
    ) -> Message:
        """Stores the outbound message, logs the send and consumes the draft: all or nothing."""
        with self._transaction():
            message = self._insert_message(
                inbox.id, "outbound", inbox.email, to, subject, plain_body, html_body, thread_id, in_reply_to
            )
            self._db.execute(
                "INSERT INTO sent (message_id, inbox_id, recipients, subject, plain_body, in_reply_to, draft_id, "
                "sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message.id,
                    inbox.id,
                    json.dumps(to),
                    subject,
                    plain_body,
                    in_reply_to,
                    draft_id,
                    message.received_at,
                ),
            )
            if draft_id is not None:
                self._db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
        return message

    def sent_log(self) -> list[SentRecord]:
        return [sent_of(r) for r in self._db.execute("SELECT * FROM sent ORDER BY seq")]
