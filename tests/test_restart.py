"""Pending reviews survive a restart of the worker and of the Temporal server."""

from __future__ import annotations

import asyncio
import signal

import pytest

from starter.review import ReviewRejected, decide_current, get_state, list_reviews
from tests.conftest import running_worker, sent_mail
from tests.helpers import start_for, wait_for_status
from tests.scripted_provider import subject
from triage.dev.devserver import start_dev_server, wait_until_serving
from triage.domain.models import ReviewAction, TriageStatus
from triage.runtime.asgi_server import free_port
from triage.runtime.temporal_client import connect

pytestmark = pytest.mark.slow


async def _server(db, port):
    process = start_dev_server(db, port=port, headless=True)
    client = await wait_until_serving(f"127.0.0.1:{port}", "default")
    return process, client


async def test_reviews_survive_worker_and_server_restart(tmp_path, settings, control):
    port = free_port()
    db = tmp_path / "temporal.db"
    settings = settings.model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    process, _ = await _server(db, port)
    try:
        client = await connect(settings)
        async with running_worker(client, settings):
            handles = [
                await start_for(client, settings, control, subject=subject("billing", 0.9, text=f"#{i}"))
                for i in range(3)
            ]
            for handle in handles:
                await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        # Worker gone; now the server too, the hard way.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

        process, _ = await _server(db, port)
        client = await connect(settings)
        async with running_worker(client, settings):
            async with asyncio.timeout(30):
                while True:
                    pending, _ = await list_reviews(client, limit=100)
                    if {h.id for h in handles} <= {r.workflow_id for r in pending}:
                        break
                    await asyncio.sleep(0.3)
            _, outcome = await decide_current(client, handles[0].id, ReviewAction.APPROVE, "alice")
            assert outcome.status is TriageStatus.SENT
            with pytest.raises(ReviewRejected):
                await decide_current(client, handles[0].id, ReviewAction.APPROVE, "alice", revision=1)
            for handle in handles[1:]:
                state = await get_state(client, handle.id)
                assert state.status is TriageStatus.AWAITING_REVIEW and state.revision == 1
        sent = await sent_mail(control)
        assert len(sent) == 1 and sent[0]["in_reply_to"] == handles[0].id.removeprefix("triage-")
    finally:
        process.terminate()
        process.wait(timeout=30)
