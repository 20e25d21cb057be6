"""The inbox watcher: one triage workflow per inbound message.

It talks to the mail provider only through ``MailProvider``. A subscription
pushes new mail only while it is open and may deliver twice, so after every
(re)subscription the watcher catches up over the provider's listing; starts
are idempotent by workflow id, so overlap costs one RPC, never a second
reply. A subscription that goes quiet (a half-open socket) is dropped by the
provider after ``idle_timeout`` seconds, and the watcher subscribes again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from starter.start import start_triage
from triage.domain.inbound import bare_address, skip_reason
from triage.domain.models import InboundMessage
from triage.mail.errors import MailError
from triage.mail.factory import build_mail_provider
from triage.mail.provider import MailProvider, MailSubscription
from triage.runtime.config import Settings

log = logging.getLogger(__name__)

_SEEN_CAPACITY = 200_000
_START_CONCURRENCY = 16
# New-mail events waiting for a start slot; past this the watcher stops reading
# the subscription until starts finish (backpressure instead of unbounded tasks).
_START_BACKLOG = 4 * _START_CONCURRENCY


class _LruSet:
    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def add(self, key: str) -> None:
        self._items[key] = None
        self._items.move_to_end(key)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)


@dataclass
class Backoff:
    """Full-jitter exponential backoff (AWS architecture blog's variant)."""

    initial: float = 0.5
    maximum: float = 30.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class WatcherStats:
    connects: int = 0
    events: int = 0
    started: int = 0
    duplicates: int = 0
    skipped: int = 0
    bad_frames: int = 0
    catchups: int = 0


class InboxWatcher:
    def __init__(
        self,
        client: Client,
        mail: MailProvider,
        settings: Settings,
        *,
        idle_timeout: float | None = None,
        catchup_max_age: timedelta = timedelta(days=7),
    ) -> None:
        self._client = client
        self._mail = mail
        self._settings = settings
        self._inbox_id = settings.inbox_id
        self._idle_timeout = idle_timeout or settings.watch_idle_timeout_seconds
        self._catchup_max_age = catchup_max_age
        self._policy = settings.policy_settings()
        self._review = settings.review_settings()
        self._own_addresses: set[str] = set()
        self._seen = _LruSet(_SEEN_CAPACITY)
        self._starting: set[str] = set()  # message ids whose start is in flight
        # Ids first seen while a catch-up runs (from the subscription or the catch-up itself).
        self._seen_during_catch_up: set[str] | None = None
        # Whether the last catch-up read on until it knew where to stop. One cut short (its
        # session died) leaves older mail unread behind pages the next subscription fills
        # with seen mail: the next catch-up then reads to the horizon instead.
        self._last_catch_up_complete = False
        self._start_slots = asyncio.Semaphore(_START_CONCURRENCY)
        self._start_backlog = asyncio.Semaphore(_START_BACKLOG)
        self.stats = WatcherStats()
        self.ready = asyncio.Event()  # set once subscribed and caught up

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        backoff = Backoff()
        while not stop.is_set():
            session = asyncio.create_task(self._session(backoff))
            stopper = asyncio.create_task(stop.wait())
            try:
                done, _ = await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                # Cancelled too (Ctrl-C cancels run itself): a session left behind ends
                # on its own when the emulator closes the socket, and asyncio.run then
                # prints its never-retrieved exception as a traceback.
                for task in (session, stopper):
                    task.cancel()
                await asyncio.gather(session, stopper, return_exceptions=True)
            if stop.is_set():
                break
            if session in done and session.exception() is not None:
                log.warning("inbox session ended: %s", _describe(session.exception()))
            self.ready.clear()
            delay = backoff.next_delay()
            log.info("reconnecting in %.1fs", delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass

    async def _session(self, backoff: Backoff) -> None:
        async with self._mail.subscribe(
            self._inbox_id, idle_timeout=self._idle_timeout, on_malformed=self._skip_malformed
        ) as subscription:
            self.stats.connects += 1
            if subscription.own_address:
                self._own_addresses.add(subscription.own_address.lower())
            backoff.reset()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._catch_up_then_ready())
                group.create_task(self._receive(subscription, group))

    def _skip_malformed(self, reason: str) -> None:
        self.stats.bad_frames += 1
        log.warning("skipping a malformed event: %s", reason)

    async def _receive(self, subscription: MailSubscription, group: asyncio.TaskGroup) -> None:
        async for message in subscription:
            await self._on_message(message, group)

    async def _on_message(self, message: InboundMessage, group: asyncio.TaskGroup | None = None) -> None:
        """Start the message's workflow: inline without ``group``, else in the background.

        A start is one RPC, slow while the server is busy; awaiting each one
        before reading the next message made a burst start one message at a time.
        A failed start fails ``group``, so the session reconnects and catches up.
        """
        self.stats.events += 1
        if message.inbox_id != self._inbox_id:
            return
        if group is None:
            await self._handle(message)
            return
        await self._start_backlog.acquire()
        task = group.create_task(self._handle(message))
        task.add_done_callback(lambda _: self._start_backlog.release())

    async def _catch_up_then_ready(self) -> None:
        # Listing trouble must not take the subscription down with it: events
        # keep flowing while the catch-up retries.
        backoff = Backoff(initial=0.5, maximum=15.0)
        while True:
            try:
                await self.catch_up()
                break
            except MailError as err:
                delay = backoff.next_delay()
                log.warning("catch-up failed (%s); again in %.1fs", err, delay)
                await asyncio.sleep(delay)
        self.ready.set()

    async def catch_up(self) -> int:
        """Start workflows for inbound mail the subscription may have missed."""
        self.stats.catchups += 1
        thorough = not self._last_catch_up_complete
        self._last_catch_up_complete = False
        horizon = datetime.now(UTC) - self._catchup_max_age
        handled = 0
        since: set[str] = set()
        self._seen_during_catch_up = since
        # One page's starts run while the next page is fetched and started:
        # waiting for every page's slowest start left the start slots idle.
        in_flight: list[asyncio.Future[list[None]]] = []
        try:
            async for page in self._mail.inbound_pages(
                self._inbox_id, page_size=100, max_pages=self._settings.catchup_max_pages
            ):
                fresh = [m for m in page if m.message_id not in self._seen]
                recent = [m for m in fresh if m.received_at is None or m.received_at >= horizon]
                in_flight.append(asyncio.gather(*(self._handle(m) for m in recent)))
                if len(in_flight) > 1:
                    await in_flight.pop(0)
                handled += len(recent)
                # Newest first: a page of mail known before this catch-up, or
                # with mail too old to triage, ends it. Mail the subscription delivered
                # meanwhile does not count: a burst of it can fill whole pages
                # that still have missed mail behind them.
                unknown_before = [m for m in page if m.message_id not in self._seen or m.message_id in since]
                if (not unknown_before and not thorough) or len(recent) < len(fresh):
                    break
            while in_flight:
                await in_flight[0]
                in_flight.pop(0)
            self._last_catch_up_complete = True
        finally:
            self._seen_during_catch_up = None
            for starts in in_flight:  # left only by an error: nothing may start after it
                starts.cancel()
        log.info("catch-up looked at %d message(s) not seen on the subscription", handled)
        return handled

    def _mark_seen(self, message_id: str) -> None:
        self._seen.add(message_id)
        if self._seen_during_catch_up is not None:
            self._seen_during_catch_up.add(message_id)

    async def _handle(self, message: InboundMessage) -> None:
        # A redelivery while the first start is still in flight is a duplicate too.
        if message.message_id in self._seen or message.message_id in self._starting:
            self.stats.duplicates += 1
            return
        reason = skip_reason(message.from_address, message.subject, self._own_addresses)
        if reason:
            self.stats.skipped += 1
            self._mark_seen(message.message_id)
            log.info("not triaging %s: %s", message.message_id, reason)
            return
        self._starting.add(message.message_id)
        try:
            async with self._start_slots:
                handle = await start_triage(
                    self._client,
                    message,
                    task_queue=self._settings.temporal_task_queue,
                    judge_task_queue=self._settings.judge_task_queue,
                    policy=self._policy,
                    review=self._review,
                )
            # Marked seen only after Temporal accepted it: a failed start is
            # retried by the catch-up after the reconnect that the error causes.
            self._mark_seen(message.message_id)
        finally:
            self._starting.discard(message.message_id)
        if handle is None:
            self.stats.duplicates += 1
            # Expected after every restart: the catch-up reads mail that has its workflow already.
            log.debug("already triaged: %s", message.message_id)
        else:
            self.stats.started += 1
            log.info("triage started for %s (%s)", message.message_id, bare_address(message.from_address))


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    if isinstance(exc, RPCError):
        return f"Temporal unavailable: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


async def run_watcher(settings: Settings, stop: asyncio.Event | None = None) -> None:
    # As the workers do: started before the server (a reboot, a cluster upgrade), it waits for it.
    from triage.runtime.reachable import connect_when_reachable

    client = await connect_when_reachable(settings)
    async with build_mail_provider(settings) as mail:
        await InboxWatcher(client, mail, settings).run(stop)
