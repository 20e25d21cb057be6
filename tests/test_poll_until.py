"""``bench.harness.poll_until``, the chaos run's one wait-until loop (pollers, limit decisions, settling)."""

from __future__ import annotations

import asyncio

from bench.harness import poll_until


async def test_it_answers_as_soon_as_the_check_says_yes():
    asked: list[int] = []

    async def third_time() -> bool:
        asked.append(1)
        return len(asked) == 3

    assert await poll_until(third_time, timeout=5, every=0.01)
    assert len(asked) == 3


async def test_it_gives_up_after_the_timeout_having_asked_at_the_deadline():
    asked: list[float] = []
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def never() -> bool:
        asked.append(loop.time() - began)
        return False

    assert not await poll_until(never, timeout=0.3, every=0.2)
    assert 2 <= len(asked) <= 3 and asked[-1] >= 0.29  # at 0, 0.2 and the deadline (late on a busy machine)
