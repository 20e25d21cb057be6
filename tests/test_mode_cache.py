"""The mode lookup's cache: a burst shares one Describe, a change applies within the cache's age."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from temporalio.client import Client, DescribeWorkflowInput, Interceptor, OutboundInterceptor

from activities.autonomy import OverridesCache
from starter.autonomy import set_mode
from tests.conftest import running_worker
from triage.domain.autonomy import ModeRequest
from triage.domain.models import AutonomyMode

SCOPE = "article:password-reset"


class CountingDescribes(Interceptor):
    """Counts Describes; each waits while ``gate`` is closed."""

    def __init__(self) -> None:
        self.describes = 0
        self.gate = asyncio.Event()
        self.gate.set()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Counting(OutboundInterceptor):
            async def describe_workflow(self, input: DescribeWorkflowInput):
                counter.describes += 1
                await counter.gate.wait()
                return await super().describe_workflow(input)

        return Counting(next)


async def set_scope(client: Client, settings, mode: AutonomyMode) -> None:
    request = ModeRequest(scope=SCOPE, mode=mode, by="alice")
    await set_mode(client, settings.temporal_task_queue, settings.inbox_id, request)


def counted(client: Client) -> tuple[Client, CountingDescribes]:
    counter = CountingDescribes()
    config = client.config()  # a copy: changing it leaves ``client`` alone
    config["interceptors"] = [counter]
    return Client(**config), counter


@asynccontextmanager
async def scope_under_review(dev_env, settings, clock: list[float]):
    """A worker running, the scope set to review, and a cache of the modes (30 s old at most, by
    ``clock``, moved by the test: a slow set_mode on a loaded machine ages nothing) whose Describes
    are counted."""
    client, counter = counted(dev_env.client)
    async with running_worker(dev_env.client, settings):
        await set_scope(dev_env.client, settings, AutonomyMode.REVIEW)
        yield OverridesCache(client, settings.temporal_task_queue, 30, clock=lambda: clock[0]), counter


async def test_a_burst_of_lookups_shares_one_describe_and_a_change_shows_after_max_age(dev_env, settings):
    inbox, clock = settings.inbox_id, [0.0]
    async with scope_under_review(dev_env, settings, clock) as (cache, counter):
        books = await asyncio.gather(*(cache.get(inbox) for _ in range(50)))
        assert counter.describes == 1
        assert {b.scopes[SCOPE].override.mode for b in books} == {AutonomyMode.REVIEW}

        await set_scope(dev_env.client, settings, AutonomyMode.AUTO)
        clock[0] = 15  # half its age: no read ahead yet
        assert (await cache.get(inbox)).scopes[SCOPE].override.mode is AutonomyMode.REVIEW  # still young
        assert counter.describes == 1
        clock[0] = 30.1
        assert (await cache.get(inbox)).scopes[SCOPE].override.mode is AutonomyMode.AUTO
        assert counter.describes == 2


async def test_max_age_zero_reads_afresh_each_time(dev_env, settings):
    client, counter = counted(dev_env.client)
    cache = OverridesCache(client, settings.temporal_task_queue, max_age=0)
    assert await cache.get(settings.inbox_id) is None  # no autonomy workflow yet
    assert await cache.get(settings.inbox_id) is None
    assert counter.describes == 2


async def test_a_lookup_past_half_the_age_does_not_wait_and_reads_ahead(dev_env, settings):
    inbox, clock = settings.inbox_id, [0.0]
    async with scope_under_review(dev_env, settings, clock) as (cache, counter):
        await cache.get(inbox)
        await set_scope(dev_env.client, settings, AutonomyMode.AUTO)
        clock[0] = 20
        counter.gate.clear()  # the server is slow: the next Describe hangs
        # Past half its age, the copy comes at once (not behind the hung Describe) ...
        book = await asyncio.wait_for(cache.get(inbox), 0.5)
        assert book.scopes[SCOPE].override.mode is AutonomyMode.REVIEW
        await asyncio.wait_for(cache.get(inbox), 0.5)
        assert counter.describes == 2  # ... and one read started ahead, shared by the lookups
        counter.gate.set()
        for _ in range(50):  # the read ahead lands: the change shows without waiting for max_age
            if (await cache.get(inbox)).scopes[SCOPE].override.mode is AutonomyMode.AUTO:
                break
            await asyncio.sleep(0.05)
        assert (await cache.get(inbox)).scopes[SCOPE].override.mode is AutonomyMode.AUTO
        assert counter.describes == 2
