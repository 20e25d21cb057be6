"""The WebSocket side: sessions, subscriptions, event fan-out, pings and socket faults.

Each socket has its own outbox drained by its own writer task, so publishing an
event never waits on a slow client and frames on one socket keep their order
(``subscribed`` always precedes the events it enables). Nothing is buffered for
sockets that are not connected: the real service does not replay either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from triage.mail.sim.faults import Faults
from triage.mail.sim.records import Inbox, Message, new_id

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset({"message.received", "message.sent", "message.bounced"})

# The runner's uvicorn protocol puts the connection's transport here, so that a
# dropped socket can die without a close frame, as it does when a network fails.
TRANSPORT_EXTENSION = "mailsim.transport"

_PING = json.dumps({"type": "ping"})


def event_frame(event_type: str, message: Message, thread_subject: str) -> dict[str, Any]:
    return {
        "type": "event",
        "event_type": event_type,
        "event_id": new_id("evt"),
        "message": {
            "inbox_id": message.inbox_id,
            "message_id": message.id,
            "thread_id": message.thread_id,
            "from": message.sender,
            "to": message.to,
            "subject": message.subject,
            "plain_body": message.plain_body,
            "html_body": message.html_body,
            "timestamp": message.received_at,
        },
        "thread": {"thread_id": message.thread_id, "subject": thread_subject},
    }


class FrameRejected(ValueError):
    """A client frame the server answers with an ``error`` frame (the socket stays open)."""


@dataclass(frozen=True)
class Subscription:
    event_types: tuple[str, ...]
    inbox_ids: tuple[str, ...]  # empty: every inbox
    workspace_ids: tuple[str, ...]

    def wants(self, event_type: str, inbox_id: str) -> bool:
        return event_type in self.event_types and (not self.inbox_ids or inbox_id in self.inbox_ids)

    def frame(self) -> dict[str, Any]:
        return {
            "type": "subscribed",
            "event_types": list(self.event_types),
            "inbox_ids": list(self.inbox_ids),
            "workspace_ids": list(self.workspace_ids),
        }


def _string_list(frame: dict[str, Any], name: str, *, required: bool = False) -> tuple[str, ...]:
    value = frame.get(name)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FrameRejected(f"subscribe: {name} must be a list of strings")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


def parse_subscribe(frame: dict[str, Any], inbox_exists: Callable[[str], bool]) -> Subscription:
    event_types = _string_list(frame, "event_types", required=True)
    if not event_types:
        raise FrameRejected("subscribe: event_types must not be empty")
    unknown = [t for t in event_types if t not in EVENT_TYPES]
    if unknown:
        raise FrameRejected(f"subscribe: unknown event type {unknown[0]!r}")
    inbox_ids = _string_list(frame, "inbox_ids")
    missing = [i for i in inbox_ids if not inbox_exists(i)]
    if missing:
        raise FrameRejected(f"subscribe: inbox {missing[0]!r} not found")
    workspaces = "workspace_ids" if "workspace_ids" in frame else "pod_ids"
    return Subscription(event_types, inbox_ids, _string_list(frame, workspaces))


class Session:
    """One connected socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.transport: asyncio.Transport | None = websocket.scope.get("extensions", {}).get(
            TRANSPORT_EXTENSION
        )
        self.subscription: Subscription | None = None
        # Half-open: the socket stays up but nothing crosses it in either direction.
        self.stalled = False
        self._outbox: asyncio.Queue[str] = asyncio.Queue()

    def push(self, text: str) -> None:
        if not self.stalled:
            self._outbox.put_nowait(text)

    async def write_loop(self) -> None:
        while True:
            text = await self._outbox.get()
            if self.stalled:
                continue  # queued before the link went silent: lost, like the real thing
            try:
                await self.websocket.send_text(text)
            except Exception:  # the peer is gone; the read loop sees the disconnect
                return

    def drop(self) -> None:
        """Kill the connection with no closing handshake when the server allows it."""
        if self.transport is not None:
            self.transport.abort()
        else:  # another ASGI server: the nearest thing is an abnormal close code
            asyncio.get_running_loop().create_task(_close_quietly(self.websocket, 1011))


async def _close_quietly(websocket: WebSocket, code: int) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code)


class Hub:
    """All open sockets of one emulator."""

    def __init__(self, faults: Faults, ping_interval: float, inbox_exists: Callable[[str], bool]) -> None:
        self._faults = faults
        self._ping_interval = ping_interval
        self._inbox_exists = inbox_exists
        self._sessions: set[Session] = set()

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    async def serve(self, websocket: WebSocket, inbox: Inbox) -> None:
        """Runs one accepted socket until the peer leaves or the socket is dropped."""
        session = Session(websocket)
        self._sessions.add(session)
        session.push(json.dumps({"type": "connected", "inboxId": inbox.id, "email": inbox.email}))
        tasks = [asyncio.create_task(session.write_loop()), asyncio.create_task(self._ping_loop(session))]
        try:
            await self._read_loop(session)
        finally:
            self._sessions.discard(session)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _ping_loop(self, session: Session) -> None:
        if self._ping_interval <= 0:
            return  # pings off: lets a test see a socket that is quiet by design
        while True:
            await asyncio.sleep(self._ping_interval)
            session.push(_PING)

    async def _read_loop(self, session: Session) -> None:
        while True:
            message = await session.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if session.stalled:
                continue  # lost on the dead link
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", errors="replace")
            try:
                reply = self._handle(session, raw)
            except FrameRejected as err:
                reply = {"type": "error", "message": str(err)}
            if reply is not None:
                session.push(json.dumps(reply))

    def _handle(self, session: Session, raw: str) -> dict[str, Any] | None:
        try:
            frame = json.loads(raw)
        except ValueError:
            raise FrameRejected("frame is not valid JSON") from None
        if not isinstance(frame, dict):
            raise FrameRejected("frame must be a JSON object")
        kind = frame.get("type")
        if kind == "pong":
            return None
        if kind == "subscribe":
            session.subscription = parse_subscribe(frame, self._inbox_exists)
            return session.subscription.frame()
        if kind is None:
            raise FrameRejected("frame has no type")
        raise FrameRejected(f"unknown frame type {kind!r}")

    def publish(self, event_type: str, message: Message, thread_subject: str) -> int:
        """Sends the event to every matching socket now; returns how many got it."""
        copies = 2 if self._faults.duplicate() else 1
        targets = [
            s for s in self._sessions if s.subscription and s.subscription.wants(event_type, message.inbox_id)
        ]
        if not targets:
            return 0
        text = json.dumps(event_frame(event_type, message, thread_subject))
        for session in targets:
            for _ in range(copies):
                session.push(text)
        return sum(not s.stalled for s in targets)

    def drop_all(self) -> int:
        sessions = list(self._sessions)
        for session in sessions:
            session.drop()
        return len(sessions)

    def set_half_open(self, on: bool) -> None:
        """Silences (or revives) the sockets open right now; later connections are healthy."""
        for session in self._sessions:
            session.stalled = on

    async def close_all(self, code: int = 1001) -> None:
        await asyncio.gather(*(_close_quietly(s.websocket, code) for s in list(self._sessions)))
