"""``triage flag`` with the workers down: the server alone says whether a run can be flagged.

A real dev server and no worker on the task queue: an open run is refused at
once, in one line with exit code 1 (the state query it asked first needed a
worker: 5 s, then an RPC error); a run whose status reads auto_sent is still
waited for (its verdict report ends it), as with the workers up.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.common import SearchAttributePair, TypedSearchAttributes

import starter.autonomy
from starter.autonomy import NotFlaggable, flag_sent_reply
from starter.start import start_triage
from tests.helpers import received
from triage.domain import contracts
from triage.domain import search_attributes as sa
from triage.domain.models import TriageInput, TriageStatus
from triage.runtime.config import Settings

pytestmark = pytest.mark.slow

TRIAGE = str(Path(sys.executable).with_name("triage"))


def cli_flag(settings: Settings, address: str, workflow_id: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TRIAGE_"))}
    env.update(TEMPORAL_ADDRESS=address, TEMPORAL_TASK_QUEUE=settings.temporal_task_queue)
    return subprocess.run([TRIAGE, "flag", workflow_id], env=env, capture_output=True, text=True, timeout=60)


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
        await flag_sent_reply(
            client, settings.temporal_task_queue, handle.id, "bob", "", settings.autonomy_settings()
        )
    address = client.service_client.config.target_host
    done = await asyncio.to_thread(cli_flag, settings, address, handle.id)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stderr.count("\n") == 1 and "still open" in done.stderr, done.stderr


async def test_a_run_that_sent_alone_is_still_waited_for(dev_env, settings, control, monkeypatch):
    """Its status (the search attribute) reads auto_sent: the flag waits for the verdict report."""
    client = dev_env.client
    message = await received(control, settings, subject="How do I reset my password?")
    handle = await client.start_workflow(
        contracts.TRIAGE_WORKFLOW,
        TriageInput(message=message, policy=settings.policy_settings(), review=settings.review_settings()),
        id=contracts.workflow_id_for(message.message_id),
        task_queue=settings.temporal_task_queue,  # no worker: the report never comes
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(sa.TRIAGE_STATUS, TriageStatus.AUTO_SENT.value)]
        ),
    )
    monkeypatch.setattr(starter.autonomy, "VERDICT_WAIT_S", 0.5)
    with pytest.raises(NotFlaggable, match="still reporting its verdict"):
        await flag_sent_reply(
            client, settings.temporal_task_queue, handle.id, "bob", "", settings.autonomy_settings()
        )
