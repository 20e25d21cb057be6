"""SQLite persistence for the emulator: a restart loses nothing."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS inboxes (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, inbox_id TEXT NOT NULL,
    direction TEXT NOT NULL, thread_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_inbox ON messages (inbox_id, direction, seq);
CREATE INDEX IF NOT EXISTS messages_thread ON messages (thread_id, seq);
CREATE TABLE IF NOT EXISTS drafts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, inbox_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sent (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL);
"""


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _one(self, sql: str, *args: Any) -> dict | None:
        with self._lock:
            row = self._db.execute(sql, args).fetchone()
        return json.loads(row[0]) if row else None

    def _all(self, sql: str, *args: Any) -> list[dict]:
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _exec(self, sql: str, *args: Any) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # inboxes
    def ensure_inbox(self, inbox_id: str, email: str) -> dict:
        existing = self.get_inbox(inbox_id)
        if existing:
            return existing
        username = email.split("@")[0]
        doc = {"id": inbox_id, "email": email, "username": username, "displayName": "Support", "createdAt": now_iso()}
        self._exec("INSERT INTO inboxes VALUES (?, ?)", inbox_id, json.dumps(doc))
        return doc

    def get_inbox(self, inbox_id: str) -> dict | None:
        return self._one("SELECT doc FROM inboxes WHERE id = ?", inbox_id)

    def list_inboxes(self) -> list[dict]:
        return self._all("SELECT doc FROM inboxes ORDER BY rowid")

    def inbox_by_username(self, username: str) -> dict | None:
        return next((i for i in self.list_inboxes() if i.get("username") == username), None)

    def put_inbox(self, doc: dict) -> None:
        self._exec("INSERT OR REPLACE INTO inboxes VALUES (?, ?)", doc["id"], json.dumps(doc))

    # messages
    def add_message(self, doc: dict) -> None:
        self._exec(
            "INSERT INTO messages (id, inbox_id, direction, thread_id, doc) VALUES (?, ?, ?, ?, ?)",
            doc["id"], doc["inboxId"], doc["direction"], doc["threadId"], json.dumps(doc),
        )

    def put_message(self, doc: dict) -> None:
        self._exec("UPDATE messages SET doc = ? WHERE id = ?", json.dumps(doc), doc["id"])

    def get_message(self, inbox_id: str, message_id: str) -> dict | None:
        return self._one("SELECT doc FROM messages WHERE inbox_id = ? AND id = ?", inbox_id, message_id)

    def list_messages(self, inbox_id: str, direction: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
        where, args = "inbox_id = ?", [inbox_id]
        if direction:
            where += " AND direction = ?"
            args.append(direction)
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM messages WHERE {where}", args).fetchone()[0]
        docs = self._all(f"SELECT doc FROM messages WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?", *args, limit, offset)
        return docs, total

    def thread_messages(self, inbox_id: str, thread_id: str) -> list[dict]:
        return self._all("SELECT doc FROM messages WHERE inbox_id = ? AND thread_id = ? ORDER BY seq", inbox_id, thread_id)

    # drafts
    def add_draft(self, doc: dict) -> None:
        self._exec("INSERT INTO drafts (id, inbox_id, doc) VALUES (?, ?, ?)", doc["id"], doc["inboxId"], json.dumps(doc))

    def put_draft(self, doc: dict) -> None:
        self._exec("UPDATE drafts SET doc = ? WHERE id = ?", json.dumps(doc), doc["id"])

    def get_draft(self, draft_id: str, inbox_id: str | None = None) -> dict | None:
        doc = self._one("SELECT doc FROM drafts WHERE id = ?", draft_id)
        if doc and inbox_id and doc["inboxId"] != inbox_id:
            return None
        return doc

    def list_drafts(self, inbox_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
        with self._lock:
            total = self._db.execute("SELECT COUNT(*) FROM drafts WHERE inbox_id = ?", (inbox_id,)).fetchone()[0]
        return self._all("SELECT doc FROM drafts WHERE inbox_id = ? ORDER BY seq LIMIT ? OFFSET ?", inbox_id, limit, offset), total

    def take_draft(self, draft_id: str) -> bool:
        """Delete; False when it was already gone (the single-send guarantee)."""
        return self._exec("DELETE FROM drafts WHERE id = ?", draft_id) == 1

    # sent log
    def add_sent(self, doc: dict) -> None:
        self._exec("INSERT INTO sent (doc) VALUES (?)", json.dumps(doc))

    def list_sent(self) -> list[dict]:
        return self._all("SELECT doc FROM sent ORDER BY seq")
