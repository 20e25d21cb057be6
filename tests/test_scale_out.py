"""Two workers and two watchers on one task queue and one inbox: every
message is handled exactly once, and the work lands on both workers."""

from __future__ import annotations

import asyncio
from collections import Counter

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.conftest import running_worker
from tests.helpers import answered_exactly_once, running_watcher
from tests.scripted_provider import ScriptedProvider


class CountingProvider(ScriptedProvider):
    def __init__(self, name: str, tally: Counter) -> None:
        super().__init__()
        self._name, self._tally = name, tally

    async def classify(self, message):
        self._tally[self._name] += 1
        await asyncio.sleep(0.05)  # long enough for the other worker to take the next task
        return await super().classify(message)


async def test_two_workers_two_watchers_exactly_once(dev_env, settings, control):
    tally: Counter = Counter()
    client = dev_env.client
    # A second connection, as a second worker process would have.
    other = await Client.connect(
        client.service_client.config.target_host, data_converter=pydantic_data_converter
    )
    async with (
        running_worker(client, settings, CountingProvider("a", tally)),
        running_worker(other, settings, CountingProvider("b", tally)),
        running_watcher(client, settings),
        running_watcher(client, settings),
    ):
        await answered_exactly_once(client, settings, control, 20, timeout=60)
    assert sum(tally.values()) == 20
    assert tally["a"] > 0 and tally["b"] > 0, tally
