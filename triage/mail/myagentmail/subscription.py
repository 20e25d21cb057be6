"""New mail over myagentmail's WebSocket: connect, subscribe, then read events.

The socket pushes only while connected and may deliver twice; the watcher
deals with both (it catches up after every subscription and dedupes). Here:
the handshake (``subscribe`` frame, wait for ``subscribed``), answering
pings, skipping malformed frames, and dropping a socket that goes quiet
(half-open) after ``idle_timeout`` seconds without any frame, pings included.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Self

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, WebSocketException

from triage.domain.models import InboundMessage
from triage.mail.errors import MailSubscriptionLost, MailUnreachable
from triage.mail.myagentmail.convert import from_event
from triage.mail.myagentmail.frames import (
    MAX_FRAME_BYTES,
    ConnectedFrame,
    ErrorFrame,
    EventFrame,
    Frame,
    FrameError,
    PingFrame,
    SubscribedFrame,
    parse_frame,
    subscribe_frame,
)

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
_PONG = '{"type": "pong"}'


class SocketSubscription:
    """One open socket, subscribed to ``message.received``; iterate it for the new mail."""

    def __init__(
        self, ws: ClientConnection, *, idle_timeout: float, on_malformed: Callable[[str], None]
    ) -> None:
        self._ws = ws
        self._idle_timeout = idle_timeout
        self._on_malformed = on_malformed
        self._early: deque[InboundMessage] = deque()  # events that came before "subscribed"
        self.own_address: str | None = None

    async def handshake(self, inbox_id: str) -> None:
        await self._ws.send(subscribe_frame([inbox_id]))
        while True:
            frame = await self._next_frame()
            if isinstance(frame, ConnectedFrame) and frame.email:
                self.own_address = frame.email.lower()
            elif isinstance(frame, SubscribedFrame):
                return
            elif isinstance(frame, ErrorFrame):
                raise MailSubscriptionLost(f"subscription refused: {frame.message}")
            elif isinstance(frame, EventFrame) and (message := _new_mail(frame)):
                self._early.append(message)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> InboundMessage:
        if self._early:
            return self._early.popleft()
        while True:
            try:
                frame = await asyncio.wait_for(self._next_frame(), self._idle_timeout)
            except TimeoutError:
                raise MailSubscriptionLost(
                    f"no frame for {self._idle_timeout:.0f}s: socket presumed half-open"
                ) from None
            if isinstance(frame, EventFrame):
                if message := _new_mail(frame):
                    return message
            elif isinstance(frame, PingFrame):
                await self._send(_PONG)
            elif isinstance(frame, ErrorFrame):
                log.warning("server reported an error: %s", frame.message[:300])

    async def _next_frame(self) -> Frame:
        """The next well-formed frame; malformed ones are reported and skipped."""
        while True:
            try:
                raw = await self._ws.recv()
            except ConnectionClosed as exc:
                raise MailSubscriptionLost(f"socket closed: {exc}") from exc
            try:
                return parse_frame(raw)
            except FrameError as err:
                self._on_malformed(str(err))

    async def _send(self, text: str) -> None:
        try:
            await self._ws.send(text)
        except ConnectionClosed as exc:
            raise MailSubscriptionLost(f"socket closed: {exc}") from exc


def _new_mail(frame: EventFrame) -> InboundMessage | None:
    if frame.event_type != "message.received" or frame.message is None:
        return None
    return from_event(frame.message)


@asynccontextmanager
async def socket_subscription(
    ws_url: str, api_key: str, inbox_id: str, *, idle_timeout: float, on_malformed: Callable[[str], None]
) -> AsyncIterator[SocketSubscription]:
    """A subscribed socket to ``ws_url``; closed on exit."""
    try:
        ws = await websockets.connect(
            ws_url,
            additional_headers={"X-API-Key": api_key},
            open_timeout=HANDSHAKE_TIMEOUT,
            # A half-open peer never answers the close handshake: do not wait long for it.
            close_timeout=2.0,
            max_size=MAX_FRAME_BYTES,
        )
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise MailUnreachable(f"myagentmail socket: {type(exc).__name__}: {exc}") from exc
    async with ws:
        subscription = SocketSubscription(ws, idle_timeout=idle_timeout, on_malformed=on_malformed)
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            await subscription.handshake(inbox_id)
        log.info("subscribed to message.received on inbox %s", inbox_id)
        yield subscription
