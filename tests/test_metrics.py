"""Prometheus metrics: Temporal's own and the product's, on one endpoint."""

from __future__ import annotations

import asyncio

import httpx

from starter.review import decide_current
from tests.conftest import running_worker
from tests.helpers import start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import ReviewAction, TriageStatus
from triage.runtime.asgi_server import free_port
from triage.runtime.temporal_client import connect


async def test_metrics_endpoint_has_sdk_and_product_metrics(dev_env, settings, control):
    port = free_port()
    address = dev_env.client.service_client.config.target_host
    settings = settings.model_copy(update={"metrics_port": port, "temporal_address": address})
    client = await connect(settings, serve_metrics=True)
    async with running_worker(client, settings):
        routine = await start_for(client, settings, control, subject=subject("faq", 0.95))
        await routine.result()
        held = await start_for(client, settings, control, subject=subject("billing", 0.9))
        await wait_for_status(held, TriageStatus.AWAITING_REVIEW)
        await decide_current(client, held.id, ReviewAction.APPROVE, "alice")
        await held.result()
        async with httpx.AsyncClient() as http:
            async with asyncio.timeout(20):
                while True:
                    text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    if "triage_review_latency" in text and "triage_llm_tokens" in text:
                        break
                    await asyncio.sleep(0.5)
    assert "triage_messages{" in text and 'status="auto_sent"' in text and 'status="sent"' in text
    assert 'action="approve"' in text
    assert 'model="scripted-1"' in text
    assert "triage_time_to_first_response" in text
    assert "temporal_workflow_completed" in text


async def test_only_the_worker_serves_metrics(dev_env, settings):
    # `triage up` gives every process the same environment: a second process
    # binding TRIAGE_METRICS_PORT used to crash the stack.
    port = free_port()
    address = dev_env.client.service_client.config.target_host
    settings = settings.model_copy(update={"metrics_port": port, "temporal_address": address})
    await connect(settings)  # the watcher, the API, the CLI
    async with httpx.AsyncClient() as http:
        try:
            await http.get(f"http://127.0.0.1:{port}/metrics")
        except httpx.ConnectError:
            return
    raise AssertionError(f"a non-worker client serves metrics on port {port}")


async def test_stats_from_visibility(dev_env, settings, control):
    from starter.stats import collect_stats

    async with running_worker(dev_env.client, settings):
        routine = await start_for(dev_env.client, settings, control, subject=subject("faq", 0.95))
        await routine.result()
        held = await start_for(dev_env.client, settings, control, subject=subject("bug", 0.9))
        await wait_for_status(held, TriageStatus.AWAITING_REVIEW)
        async with asyncio.timeout(20):
            while True:
                figures = await collect_stats(dev_env.client, hours=1)
                statuses = figures.by_status
                if statuses.get("auto_sent", 0) >= 1 and statuses.get("awaiting_review", 0) >= 1:
                    break
                await asyncio.sleep(0.3)
    assert figures.messages >= 2 and 0 < figures.auto_send_rate < 1
    assert figures.pending_reviews >= 1 and figures.by_category.get("bug", 0) >= 1
