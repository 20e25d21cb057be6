"""The mode lookup's cache: a burst shares one Describe, a change applies within the cache's age."""

from __future__ import annotations

import asyncio

from temporalio.client import Client, DescribeWorkflowInput, Interceptor, OutboundInterceptor

from activities.autonomy import OverridesCache
from starter.autonomy import set_mode
from tests.conftest import running_worker
from triage.domain.autonomy import ModeRequest
from triage.domain.models import AutonomyMode

SCOPE = "article:password-reset"


class CountingDescribes(Interceptor):
    def __init__(self) -> None:
        self.describes = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        counter = self

        class Counting(OutboundInterceptor):
            async def describe_workflow(self, input: DescribeWorkflowInput):
                counter.describes += 1
                return await super().describe_workflow(input)

        return Counting(next)


def counted(client: Client) -> tuple[Client, CountingDescribes]:
    counter = CountingDescribes()
    config = client.config()  # a copy: changing it leaves ``client`` alone
    config["interceptors"] = [counter]
    return Client(**config), counter


async def test_a_burst_of_lookups_shares_one_describe_and_a_change_shows_after_max_age(dev_env, settings):
    client, counter = counted(dev_env.client)
    queue, inbox = settings.temporal_task_queue, settings.inbox_id
    async with running_worker(dev_env.client, settings):
        await set_mode(
            dev_env.client, queue, inbox, ModeRequest(scope=SCOPE, mode=AutonomyMode.REVIEW, by="alice")
        )
        clock = [0.0]  # seconds, moved by the test: a slow set_mode on a loaded machine ages nothing
        cache = OverridesCache(client, queue, max_age=30, clock=lambda: clock[0])
        books = await asyncio.gather(*(cache.get(inbox) for _ in range(50)))
        assert counter.describes == 1
        assert {b.scopes[SCOPE].override.mode for b in books} == {AutonomyMode.REVIEW}

        await set_mode(
            dev_env.client, queue, inbox, ModeRequest(scope=SCOPE, mode=AutonomyMode.AUTO, by="alice")
        )
        clock[0] = 30
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
