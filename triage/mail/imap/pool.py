"""A few logged-in IMAP connections, each used by one blocking call at a time in a thread of its own.

The calls run in the pool's own threads, not the event loop's default
executor: a slow server must not hold the threads the rest of the process
(the worker's other activities) relies on. A connection that failed on the
wire is closed and replaced on next use; the caller gets the ``MailError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from triage.mail.imap.session import Endpoint, ImapSession

T = TypeVar("T")
POOL_SIZE = 4  # servers cap connections per user and address (Dovecot: 10, Gmail: 15)


class SessionPool:
    def __init__(self, endpoint: Endpoint, size: int = POOL_SIZE) -> None:
        self.endpoint = endpoint
        self._idle: list[ImapSession] = []
        self._slots = asyncio.Semaphore(size)
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="imap")

    async def run(self, call: Callable[[ImapSession], T]) -> T:
        """``call(session)`` in a pool thread, on a logged-in session."""
        async with self._slots:
            session = self._idle.pop() if self._idle else None
            loop = asyncio.get_running_loop()

            def work() -> tuple[ImapSession, T]:
                live = session if session is not None and not session.broken else ImapSession(self.endpoint)
                try:
                    return live, call(live)
                except BaseException:
                    if live.broken:
                        live.close()
                    else:
                        self._idle.append(live)  # a refused command leaves the connection usable
                    raise

            live, result = await loop.run_in_executor(self._executor, work)
            if live.broken:
                live.close()
            else:
                self._idle.append(live)
            return result

    def close(self) -> None:
        sessions, self._idle = self._idle, []
        for session in sessions:
            session.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
