"""``triage flag`` with the workers down: the server alone says whether a run can be flagged.

A real dev server and no worker on the task queue: an open run is refused at
once, in one line with exit code 1 (the state query it asked first needed a
worker: 5 s, then an RPC error); a run whose status reads auto_sent, or one
that ended sent automatically, needs a worker (its verdict report, the flag's
Update): with none polling, the flag is refused at once, exit code 3 (it
waited minutes for the Update). With a worker polling, a run that sent alone
is still waited for until its verdict report ends it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

import starter.autonomy
from bench.floor import FloorWorkflow
from starter.autonomy import NotFlaggable, NoWorker, flag_sent_reply, require_worker
from starter.start import start_triage
from tests.helpers import received
from triage.domain import contracts
from triage.domain import search_attributes as sa
from triage.domain.models import TriageInput, TriageStatus
from triage.runtime.config import Settings

pytestmark = pytest.mark.slow

TRIAGE = str(Path(sys.executable).with_name("triage"))


def cli_flag(client: Client, settings: Settings, workflow_id: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TRIAGE_"))}
    env.update(
        TEMPORAL_ADDRESS=client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=settings.temporal_task_queue,
    )
    return subprocess.run([TRIAGE, "flag", workflow_id], env=env, capture_output=True, text=True, timeout=60)


async def flag(client: Client, settings: Settings, workflow_id: str) -> None:
    await flag_sent_reply(
        client, settings.temporal_task_queue, workflow_id, "bob", "", settings.autonomy_settings()
    )


async def one_line_error(client: Client, settings: Settings, workflow_id: str, code: int) -> str:
    done = await asyncio.to_thread(cli_flag, client, settings, workflow_id)
    assert done.returncode == code, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


async def polled(client: Client, task_queue: str) -> bool:
    try:
        await require_worker(client, task_queue)
    except NoWorker:
        return False
    return True


async def sent_alone_but_running(client: Client, settings: Settings, control) -> WorkflowHandle:
    """A triage run whose status reads auto_sent, as between its send and its verdict report."""
    message = await received(control, settings, subject="How do I reset my password?")
    return await client.start_workflow(
        contracts.TRIAGE_WORKFLOW,
        TriageInput(message=message, policy=settings.policy_settings(), review=settings.review_settings()),
        id=contracts.workflow_id_for(message.message_id),
        task_queue=settings.temporal_task_queue,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(sa.TRIAGE_STATUS, TriageStatus.AUTO_SENT.value)]
        ),
    )


async def test_an_open_run_is_refused_at_once_in_one_line(dev_env, settings, control):
    client = dev_env.client
    message = await received(control, settings, subject="Where is my order?")
    handle = await start_triage(
        client,
        message,
        task_queue=settings.temporal_task_queue,  # no worker polls it
        policy=settings.policy_settings(),
        review=settings.review_settings(),
    )
    assert handle is not None
    with pytest.raises(NotFlaggable, match="still open"):
        await flag(client, settings, handle.id)
    assert "still open" in await one_line_error(client, settings, handle.id, 1)


async def test_a_run_that_sent_alone_needs_a_worker_and_is_waited_for(
    dev_env, settings, control, monkeypatch
):
    client = dev_env.client
    handle = await sent_alone_but_running(client, settings, control)
    with pytest.raises(NoWorker):  # its verdict report would never come
        await flag(client, settings, handle.id)
    assert "no worker polls" in await one_line_error(client, settings, handle.id, 3)

    # A worker polls (one that cannot run the triage: its report still never comes).
    monkeypatch.setattr(starter.autonomy, "VERDICT_WAIT_S", 0.5)
    async with Worker(client, task_queue=settings.temporal_task_queue, workflows=[FloorWorkflow]):
        async with asyncio.timeout(30):  # until the server has seen it poll
            while not await polled(client, settings.temporal_task_queue):
                await asyncio.sleep(0.2)
        with pytest.raises(NotFlaggable, match="still reporting its verdict"):
            await flag(client, settings, handle.id)
