"""New mail over IMAP: IDLE where the server offers it, polling where not.

The subscription holds a connection of its own with the inbox EXAMINEd.
IDLE rounds last at most half the watcher's ``idle_timeout`` (and at most
the poll interval): each round ends with DONE and a look at the folder, so
a dead connection is noticed, and mail an IDLE push missed is still found
(polling inside IDLE). Mail is announced by UID above the subscription's
cursor; after a UIDVALIDITY change the whole folder is read again and only
mail whose id was not known before is announced (a full, deduplicated
rescan). Mail already in the folder at subscribe time is the watcher's
catch-up's, as with every provider.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Self

from triage.domain.models import InboundMessage
from triage.mail.errors import MailError, MailSubscriptionLost
from triage.mail.imap.session import ImapSession

if TYPE_CHECKING:
    from triage.mail.imap.provider import ImapProvider

log = logging.getLogger(__name__)


class ImapSubscription:
    def __init__(
        self,
        provider: ImapProvider,
        session: ImapSession,
        executor: ThreadPoolExecutor,
        inbox_id: str,
        *,
        idle_timeout: float,
    ) -> None:
        self._provider = provider
        self._session = session
        self._executor = executor
        self._inbox_id = inbox_id
        self.own_address: str | None = provider.account.address
        account = provider.account
        self.uses_idle = account.idle and session.has_idle()
        self._round = min(account.poll_seconds, idle_timeout / 2) if self.uses_idle else account.poll_seconds
        self._queue: deque[InboundMessage] = deque()
        inbox = provider.inbox
        self._validity = inbox.uidvalidity
        self._cursor = max(inbox.entries, default=0) + 1
        self._known = {entry.mail.triage_id for entry in inbox.entries.values()}

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> InboundMessage:
        while not self._queue:
            await self._wait()
            await self._collect()
        return self._queue.popleft()

    async def _wait(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.uses_idle:
                await loop.run_in_executor(self._executor, self._session.idle, self._round)
            else:
                await asyncio.sleep(self._round)
                await loop.run_in_executor(self._executor, self._session.noop)
        except MailError as err:
            raise MailSubscriptionLost(f"IMAP connection lost: {err}") from err

    async def _collect(self) -> None:
        provider = self._provider
        try:
            await provider.refresh()
        except MailError as err:
            raise MailSubscriptionLost(f"IMAP folder unreadable: {err}") from err
        inbox = provider.inbox
        entries = sorted(inbox.entries.values(), key=lambda entry: entry.uid)
        if inbox.uidvalidity != self._validity:
            log.warning(
                "%s was renumbered (UIDVALIDITY %d -> %d): rescanning it whole",
                inbox.folder,
                self._validity,
                inbox.uidvalidity,
            )
            self._validity = inbox.uidvalidity
            candidates = entries
        else:
            candidates = [entry for entry in entries if entry.uid >= self._cursor]
        fresh = []
        for entry in candidates:
            if entry.mail.triage_id not in self._known:
                self._known.add(entry.mail.triage_id)
                fresh.append(entry)
        self._cursor = max(self._cursor, max((e.uid for e in entries), default=0) + 1)
        if fresh:
            try:
                self._queue.extend(await provider.inbound(fresh, self._inbox_id))
            except MailError as err:
                # Forget them again: the catch-up after the reconnect reads them.
                self._known.difference_update(e.mail.triage_id for e in fresh)
                raise MailSubscriptionLost(f"IMAP new mail unreadable: {err}") from err


@asynccontextmanager
async def imap_subscription(
    provider: ImapProvider, inbox_id: str, *, idle_timeout: float
) -> AsyncIterator[ImapSubscription]:
    """A connection watching the inbox; entered once the folder is read, closed on exit."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-idle")
    loop = asyncio.get_running_loop()
    session: ImapSession | None = None
    try:
        try:
            session = await loop.run_in_executor(executor, ImapSession, provider.imap_endpoint)
            folder = provider.account.inbox_folder
            await loop.run_in_executor(executor, lambda: session.open_folder(folder, readonly=True))
            await provider.refresh()
        except MailError as err:
            raise MailSubscriptionLost(f"IMAP subscription failed: {err}") from err
        subscription = ImapSubscription(provider, session, executor, inbox_id, idle_timeout=idle_timeout)
        log.info(
            "watching %s on %s (%s)",
            folder,
            provider.account.host,
            "IDLE" if subscription.uses_idle else f"polling every {provider.account.poll_seconds:g}s",
        )
        yield subscription
    finally:
        if session is not None:
            session.abort()
        executor.shutdown(wait=False, cancel_futures=True)
