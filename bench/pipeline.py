"""Pipeline vs floor: the full auto-send path against the same server's floor.

Project: N routine emails go into the emulator; the watcher starts one
workflow each; the worker classifies (offline model), drafts, saves and sends.
Latency is emulator inbound -> reply in ``/_sim/sent``.
Floor: a workflow running the same number of no-op activities (4), started
directly, on the same dev server in the same run. Results as ratios.

    python -m bench.pipeline --messages 200 [--json bench/results/pipeline.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.floor import FloorWorkflow, noop
from starter.watcher import InboxWatcher
from triage.config import Settings
from triage.devserver import temporal_binary
from triage.llm.offline import OfflineProvider
from triage.mail.client import MailClient
from triage.mailsim.runner import running_mailsim
from triage.search_attributes import ALL_KEYS
from worker.main import build_worker

ROUTINE = [
    "How do I reset my password?",
    "Which browsers do you support?",
    "What are your opening hours?",
    "How do I export my data?",
]


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


async def run_floor(client: Client, n: int) -> dict:
    queue = f"floor-{uuid.uuid4().hex[:6]}"
    async with Worker(client, task_queue=queue, workflows=[FloorWorkflow], activities=[noop], max_concurrent_activities=100):
        began = time.perf_counter()

        async def one(i: int) -> float:
            t0 = time.perf_counter()
            await client.execute_workflow(FloorWorkflow.run, id=f"floor-{queue}-{i}", task_queue=queue)
            return time.perf_counter() - t0

        latencies = await asyncio.gather(*(one(i) for i in range(n)))
        elapsed = time.perf_counter() - began
    return {"throughput": n / elapsed, "latency_s": percentiles(list(latencies)), "elapsed_s": elapsed}


async def run_project(client: Client, sim, n: int) -> dict:
    settings = Settings(
        temporal_task_queue=f"bench-{uuid.uuid4().hex[:6]}", mail_base_url=sim.base_url,
        mail_api_key=sim.api_key, mail_ws_url=sim.ws_url, inbox_id=sim.inbox_id,
    )
    stop = asyncio.Event()
    async with (
        MailClient(sim.base_url, sim.api_key) as mail,
        httpx.AsyncClient() as http,
        httpx.AsyncClient(base_url=sim.control_url, timeout=30) as control,
    ):
        worker = build_worker(client, settings, mail=mail, provider=OfflineProvider(), http=http)
        watcher = InboxWatcher(client, mail, settings)
        watch = asyncio.create_task(watcher.run(stop))
        await watcher.ready.wait()
        async with worker:
            inbound_at: dict[str, datetime] = {}
            began = time.perf_counter()
            for i in range(n):
                inbound_at_now = datetime.now(UTC)
                response = await control.post(
                    "/_sim/inbound",
                    json={"from": f"c{i}@example.org", "subject": "Question", "plain_body": ROUTINE[i % len(ROUTINE)]},
                )
                inbound_at[response.json()["message_id"]] = inbound_at_now
            while True:
                sent = (await control.get("/_sim/sent")).json()["sent"]
                if len(sent) >= n:
                    break
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - began
        stop.set()
        await watch
    latencies = [
        (datetime.fromisoformat(s["sent_at"].replace("Z", "+00:00")) - inbound_at[s["in_reply_to"]]).total_seconds()
        for s in sent
        if s["in_reply_to"] in inbound_at
    ]
    return {"throughput": n / elapsed, "latency_s": percentiles(latencies), "elapsed_s": elapsed, "sent": len(sent)}


async def main(n: int, out: Path | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            data_converter=pydantic_data_converter,
            search_attributes=ALL_KEYS,
            ui=False,
            dev_server_extra_args=["--db-filename", str(Path(tmp) / "temporal.db")],
        )
        try:
            async with running_mailsim(Path(tmp) / "mail.db") as sim:
                floor = await run_floor(env.client, n)
                project = await run_project(env.client, sim, n)
        finally:
            await env.shutdown()
    result = {
        "benchmark": "pipeline_vs_floor",
        "messages": n,
        "floor": floor,
        "project": project,
        "throughput_ratio": project["throughput"] / floor["throughput"],
        "p50_latency_ratio": project["latency_s"]["p50"] / floor["latency_s"]["p50"],
    }
    print(f"{'':10} {'msg/s':>8} {'p50 s':>8} {'p95 s':>8} {'p99 s':>8}")
    for name in ("floor", "project"):
        r = result[name]
        lat = r["latency_s"]
        print(f"{name:10} {r['throughput']:8.1f} {lat['p50']:8.3f} {lat['p95']:8.3f} {lat['p99']:8.3f}")
    print(f"project/floor throughput {result['throughput_ratio']:.2f}, p50 latency {result['p50_latency_ratio']:.2f}x")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.json))
