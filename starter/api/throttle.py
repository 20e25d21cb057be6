"""Sign-in throttling: failures per client and per named reviewer, exponential waits.

The arithmetic is ``LoginThrottle``'s; where the failures are kept is its
store's. ``TemporalFailures`` (the app's default) keeps them in Temporal, so a
guesser gains nothing by restarting the API or by spreading guesses over
replicas; ``MemoryFailures`` keeps them in this process (tests, and programs
without Temporal).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import NamedTuple, Protocol

from temporalio.client import Client

from triage.domain import contracts
from triage.runtime.temporal_client import unless_missing


class FailureStore(Protocol):
    async def times(self, key: str, since: float) -> list[float]: ...
    async def add(self, key: str, at: float, keep: int) -> int: ...
    async def clear(self, key: str) -> None: ...


class MemoryFailures:
    """In this process; at most ``max_keys`` keys (the least recently failed go)."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._failures: OrderedDict[str, list[float]] = OrderedDict()

    async def times(self, key: str, since: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if t > since]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    async def add(self, key: str, at: float, keep: int) -> int:
        times = self._failures.setdefault(key, [])
        times.append(at)
        del times[:-keep]
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)
        return len(times)

    async def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class TemporalFailures:
    """In Temporal: one workflow execution per key, each failure a Signal to it.

    No worker runs these executions (their task queue has none): the server
    keeps the Signals, with their times, in the execution's history, and
    ends the execution when the window has passed.
    """

    def __init__(self, client: Callable[[], Awaitable[Client]], task_queue: str, window: float) -> None:
        self._client = client  # an async function returning the Temporal client
        self.task_queue, self.window = f"{task_queue}-{contracts.ACCESS_QUEUE_SUFFIX}", window

    def _id(self, key: str) -> str:
        # Hashed: a reviewer name or an address says nothing in a workflow id.
        return f"{contracts.SIGN_IN_FAILURES_WORKFLOW}-{self.task_queue}-{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    async def _temporal(self) -> Client:
        return await self._client()

    async def times(self, key: str, since: float) -> list[float]:
        handle = (await self._temporal()).get_workflow_handle(self._id(key))

        async def signalled() -> list[float]:
            return [
                at
                async for event in handle.fetch_history_events()
                if event.HasField("workflow_execution_signaled_event_attributes")
                and (at := event.event_time.ToDatetime().timestamp()) > since
            ]

        return await unless_missing(signalled(), []) or []

    async def add(self, key: str, at: float, keep: int) -> int:
        client = await self._temporal()
        await client.start_workflow(
            contracts.SIGN_IN_FAILURES_WORKFLOW,
            id=self._id(key),
            task_queue=self.task_queue,
            execution_timeout=timedelta(seconds=self.window),
            start_signal=contracts.SIGN_IN_FAILED_SIGNAL,
        )
        return len(await self.times(key, at - self.window))

    async def clear(self, key: str) -> None:
        handle = (await self._temporal()).get_workflow_handle(self._id(key))
        await unless_missing(handle.terminate(reason="signed in"))  # none, or closed already


class Check(NamedTuple):
    wait: float  # seconds before the next attempt may be checked (0: go ahead)
    failures: bool  # any recent failure under these keys (a success then clears them)


class LoginThrottle:
    """Failures per key in a sliding window; past ``free`` of them, exponential waits.

    Keys are ``client:<address>`` and ``reviewer:<name>``.
    """

    def __init__(
        self,
        free: int = 5,
        window: float = 15 * 60,
        max_delay: float = 5 * 60,
        store: FailureStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.free, self.window, self.max_delay = free, window, max_delay
        self.store: FailureStore = store or MemoryFailures()
        self._clock = clock

    @staticmethod
    def keys(client: str, reviewer: str | None = None) -> list[str]:
        return [f"client:{client}"] + ([f"reviewer:{reviewer}"] if reviewer else [])

    def delay(self, times: list[float], now: float) -> float:
        """The wait these failure times impose from ``now``."""
        if len(times) < self.free:
            return 0.0
        delay = min(2.0 ** (len(times) - self.free), self.max_delay)
        return max(0.0, max(times) + delay - now)

    async def check(self, keys: Iterable[str]) -> Check:
        now = self._clock()
        wait, failures = 0.0, False
        for key in keys:
            times = await self.store.times(key, now - self.window)
            failures = failures or bool(times)
            wait = max(wait, self.delay(times, now))
        return Check(wait, failures)

    async def retry_after(self, keys: Iterable[str]) -> float:
        return (await self.check(keys)).wait

    async def failed(self, keys: Iterable[str]) -> int:
        """Record a failure; returns the most recent failures under any of the keys."""
        now = self._clock()
        worst = 0
        for key in keys:
            worst = max(worst, await self.store.add(key, now, self.free + 32))  # enough to reach max_delay
        return worst

    async def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            await self.store.clear(key)
