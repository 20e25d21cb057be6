"""The inbox budget shared over the sender counters: one Update per automatic reply within a
counter's share, the pool past it, and never more replies than the inbox budget.

A real dev server and a real worker running the counter workflow; the activity is called as
the triage workflow's local activity calls it, through a client that counts its Updates.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from temporalio.client import Client, Interceptor, OutboundInterceptor, StartWorkflowUpdateWithStartInput
from temporalio.worker import Worker

from activities.conversation import UPDATES_IN_FLIGHT, ConversationActivities
from tests.helpers import save_history
from triage.domain import contracts
from triage.domain.models import ReserveAutoReply
from triage.domain.senders import counter_key, inbox_share
from workflows.conversation import AutoReplyCounterWorkflow

INBOX = "inbox-1"
HOUR = timedelta(hours=1)


class CountingUpdates(Interceptor):
    """Updates by the workflow they went to, and what they asked."""

    def __init__(self) -> None:
        self.updates: Counter[str] = Counter()
        self.requests: list[ReserveAutoReply] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        seen = self

        class Counting(OutboundInterceptor):
            async def start_update_with_start_workflow(self, input: StartWorkflowUpdateWithStartInput):
                seen.updates[input.start_workflow_input.id] += 1
                seen.requests.extend(input.update_workflow_input.args)
                return await super().start_update_with_start_workflow(input)

        return Counting(next)


def counted(client: Client) -> tuple[Client, CountingUpdates]:
    counter = CountingUpdates()
    config = client.config()
    config["interceptors"] = [counter]
    return Client(**config), counter


def request(sender: str, n: int, *, per_domain: int, per_inbox: int) -> ReserveAutoReply:
    return ReserveAutoReply(
        inbox_id=INBOX,
        sender=sender,
        workflow_id=f"triage-{n}",
        limit=3,
        window=timedelta(days=1),
        domain_limit=per_domain,
        inbox_limit=per_inbox,
        budget_window=HOUR,
    )


def counter_of(queue: str, sender: str) -> str:
    return contracts.auto_reply_counter_id(queue, INBOX, counter_key(sender))


async def test_a_reply_within_its_counters_share_costs_one_update(dev_env, task_queue):
    client, counter = counted(dev_env.client)
    activities = ConversationActivities(client, task_queue)
    per_domain, per_inbox = 20, 200
    share = inbox_share(per_inbox, per_domain, contracts.AUTO_REPLY_COUNTERS)
    assert share == 2
    senders = [f"customer{n}@shop.example" for n in range(share + 1)]  # one domain: one counter
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[AutoReplyCounterWorkflow]):
        answers = [
            await activities.reserve_auto_reply(request(s, n, per_domain=per_domain, per_inbox=per_inbox))
            for n, s in enumerate(senders)
        ]
        assert all(a.allowed for a in answers)
        pool = contracts.inbox_reply_counter_id(task_queue, INBOX)
        # The first two within the share: one Update each; the third past it asks the pool too.
        assert counter.updates == {counter_of(task_queue, senders[0]): 3, pool: 1}
        # A retry of the third asks both again and is counted once (the pool's answer is remembered).
        again = await activities.reserve_auto_reply(
            request(senders[-1], share, per_domain=per_domain, per_inbox=per_inbox)
        )
        assert again.allowed
        handle = client.get_workflow_handle(pool)
        state = await handle.query(AutoReplyCounterWorkflow.state)
        assert [len(times) for times in state.sent_at.values()] == [1]
        await save_history(
            client.get_workflow_handle(counter_of(task_queue, senders[0])), "counter_shared_inbox"
        )


async def test_shares_and_pool_never_send_more_than_the_inbox_budget(dev_env, task_queue):
    """A burst from 40 domains at once: each counter's share, then the pool, exactly, and no more."""
    client, counter = counted(dev_env.client)
    activities = ConversationActivities(client, task_queue)
    per_domain, per_inbox = 8, 72
    share = inbox_share(per_inbox, per_domain, contracts.AUTO_REPLY_COUNTERS)
    pool_limit = per_inbox - share * contracts.AUTO_REPLY_COUNTERS
    assert (share, pool_limit) == (1, 8)
    senders = [f"customer@shop{n}.example" for n in range(40)]
    counters = {counter_of(task_queue, s) for s in senders}
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[AutoReplyCounterWorkflow]):
        answers = await asyncio.gather(
            *(
                activities.reserve_auto_reply(request(s, n, per_domain=per_domain, per_inbox=per_inbox))
                for n, s in enumerate(senders)
            )
        )
    allowed = sum(a.allowed for a in answers)
    # Every counter hit spends its share; the others draw on the pool until it is empty.
    assert allowed == len(counters) * share + min(pool_limit, len(senders) - len(counters) * share)
    assert allowed <= per_inbox
    refused = [a for a in answers if not a.allowed]
    assert refused and all(a.budget == "inbox" and a.used == a.limit == share + pool_limit for a in refused)
    # A full pool is remembered: past it, a refusal costs no Update on the pool.
    pool = contracts.inbox_reply_counter_id(task_queue, INBOX)
    assert counter.updates[pool] <= pool_limit + UPDATES_IN_FLIGHT
    assert sum(counter.updates.values()) - counter.updates[pool] == len(senders)


async def test_a_request_before_the_shares_treats_a_share_as_a_hard_limit(dev_env, task_queue):
    """Without shared_inbox (an older worker's request) a full share refuses, as any budget did."""
    client, counter = counted(dev_env.client)
    activities = ConversationActivities(client, task_queue)
    counter_id = counter_of(task_queue, "pat@shop.example")
    async with Worker(dev_env.client, task_queue=task_queue, workflows=[AutoReplyCounterWorkflow]):
        share_of_one = request("pat@shop.example", 0, per_domain=20, per_inbox=84)  # (84 - 20) // 64 = 1
        first = await activities.reserve_auto_reply(share_of_one)
        assert first.allowed and not first.pool
        # The same request as the activity sent it, for another sender of the domain.
        (sent,) = counter.requests
        new = sent.model_copy(update={"workflow_id": "triage-1", "sender": "sam@shop.example"})
        old = new.model_copy(update={"shared_inbox": False, "workflow_id": "triage-2"})
        answer = await activities._ask(old, counter_id, "reserve-old")
        assert not answer.allowed and answer.key == "inbox:share" and answer.full_until is None
        shared = await activities._ask(new, counter_id, "reserve-new")
        assert shared.allowed and shared.pool  # a new request: counted, the pool decides
