"""A restarted workflow worker replays its open reviews before anything else: its imports read
no language pack (the packs' phrases are read and compiled at the first message that needs them:
``triage.domain.inbound``, ``triage.domain.signature``, ``triage.domain.replies``). The judge
polls before it loads the knowledge base and the encoder's head (at its first judgement)."""

from __future__ import annotations

import subprocess
import sys
import time

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from bench.harness import poll_until
from tests.helpers import HISTORY_DIR, message
from triage.judging.factory import build_provider
from worker import judge

READS = (
    "import worker.main, triage.domain.languages as languages; print(languages._found.cache_info().misses)"
)


def test_importing_the_workflow_worker_reads_no_language_pack():
    out = subprocess.run(
        [sys.executable, "-c", READS], capture_output=True, text=True, check=True, cwd=HISTORY_DIR.parents[1]
    )
    assert out.stdout.strip() == "0"


def test_the_phrases_are_read_at_first_use():
    from triage.domain.inbound import NEUTRAL_REPLY_SUBJECT, skip_reason
    from triage.domain.signature import split_signature

    assert NEUTRAL_REPLY_SUBJECT == "Re: your message"
    assert skip_reason("jane@example.org", "Out of office: back Monday", set()) == "automatic reply"
    assert split_signature("Thanks!\n\nJane Doe\nHead of Sales\nTel. +49 30 1234567")[1].startswith("Jane")


async def test_the_judge_polls_before_it_loads_what_judging_needs(dev_env, settings, monkeypatch):
    builds: list[object] = []
    monkeypatch.setattr(judge, "build_provider", lambda s: builds.append(s) or build_provider(s))
    provider = judge.DeferredProvider(settings.model_copy(update={"provider": "offline"}))
    since = time.time() - 1

    async def polled() -> bool:
        described = await dev_env.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=dev_env.client.namespace,
                task_queue=TaskQueue(name=settings.judge_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        return any(p.last_access_time.ToSeconds() >= since for p in described.pollers)

    async with judge.build_judge_worker(dev_env.client, settings, provider):
        assert await poll_until(polled, timeout=60), "the judge never polled"
        assert builds == []  # polling, nothing of the model's loaded
        first = await provider.classify(message())
        again = await provider.classify(message())
    assert len(builds) == 1  # built at the first judgement, once
    assert first == again and first.category.value == "faq"
