"""Sign-in throttling: failures per client and per named reviewer, exponential waits."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)


class LoginThrottle:
    """Failures per key in a sliding window; past ``free`` of them, exponential waits.

    Keys are ``client:<address>`` and ``reviewer:<name>``. Memory is bounded:
    at most ``max_keys`` keys are remembered (the least recently failed go).
    """

    def __init__(
        self,
        free: int = 5,
        window: float = 15 * 60,
        max_delay: float = 5 * 60,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.window, self.max_delay, self.max_keys = free, window, max_delay, max_keys
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()

    @staticmethod
    def keys(client: str, reviewer: str | None = None) -> list[str]:
        return [f"client:{client}"] + ([f"reviewer:{reviewer}"] if reviewer else [])

    def _recent(self, key: str, now: float) -> list[float]:
        entry = self._failures.get(key)
        if entry is None:
            return []
        entry.times = [t for t in entry.times if now - t < self.window]
        if not entry.times:
            del self._failures[key]
        return entry.times

    def failures(self, key: str) -> int:
        return len(self._recent(key, self._clock()))

    def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds to wait before the next attempt may be checked (0: go ahead)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.free:
                delay = min(2.0 ** (len(times) - self.free), self.max_delay)
                wait = max(wait, times[-1] + delay - now)
        return wait

    def failed(self, keys: Iterable[str]) -> int:
        """Record a failure; returns the most recent failures under any of the keys."""
        now = self._clock()
        worst = 0
        for key in keys:
            self._recent(key, now)
            entry = self._failures.setdefault(key, _Failures())
            entry.times.append(now)
            del entry.times[: -(self.free + 32)]  # enough to reach max_delay, no more
            self._failures.move_to_end(key)
            worst = max(worst, len(entry.times))
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)
        return worst

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._failures.pop(key, None)


