"""The slots of a worker's in-flight LLM calls (``TRIAGE_LLM_CONCURRENCY``), oldest message first.

A message costs two calls one after the other (classify, then draft). With a plain
first-come semaphore every message's draft queues behind the classify calls of all
the messages that arrived meanwhile: in a burst, no reply goes out until every
message is classified, and then all of them at once, so the workflow worker's share
of the work (saving and sending each reply) piles up at the end, after the last call,
where the LLM waits for nothing (``bench.slow_llm``). Here a waiting call is served
in the order its message came to this worker: an older message's draft goes before
a newer one's classification, replies leave at the LLM's pace from the first
seconds, and as many calls are in flight as before.

The order is the message's, set once per activity with ``message_order()``; a call
made outside one (a script, ``triage eval``) comes after them in arrival order.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

# Calls outside any message's order wait behind every message's.
_UNORDERED = float("inf")
_order: contextvars.ContextVar[float] = contextvars.ContextVar("llm_message_order", default=_UNORDERED)
_arrivals = itertools.count()


@contextmanager
def message_order() -> Iterator[None]:
    """The calls made inside (one activity's, for one message) share the order of its arrival
    here; inside another message order (the judge activity drafting), that one holds."""
    if _order.get() != _UNORDERED:
        yield
        return
    token = _order.set(next(_arrivals))
    try:
        yield
    finally:
        _order.reset(token)


class CallSlots:
    """At most ``limit`` calls hold a slot at once; a freed slot goes to the oldest message waiting."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("at least one slot")
        self.limit = limit
        self._free = limit  # invariant: no live waiter while a slot is free
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._queued = itertools.count()  # first come first served among calls of one order

    @property
    def in_use(self) -> int:
        return self.limit - self._free

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self._free:
            self._free -= 1
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (_order.get(), next(self._queued), granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release()  # handed a slot just as it was cancelled: pass it on
            raise  # (a cancelled waiter stays in the heap, done: _release skips it)

    def _release(self) -> None:
        while self._waiting:
            _, _, granted = heapq.heappop(self._waiting)
            if not granted.done():
                granted.set_result(None)
                return
        self._free += 1
