"""IMAP latency: new mail in a Dovecot mailbox to its workflow's start, through IDLE.

Project: one email at a time is delivered over LMTP into a real Dovecot
while the watcher runs with IDLE (polling set to 60 s, so only IDLE can be
quick); measured is the time from the delivery's start until the watcher's
start of that message's workflow returned. Baseline, same servers and run:
the same delivery followed at once by the client's own start of a no-op
workflow (what the path costs with nothing to notice the mail). Rounds
alternate ABBA. The issue's aim is absolute: p50 at most 2 s.

    python -m bench.imap_latency [--size short|full] [--messages 30] [--rounds 2]
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client

from bench.floor import FloorWorkflow
from bench.harness import Comparison, Report, alternate, cli, percentiles
from bench.processes import dev_server
from starter.watcher import InboxWatcher
from triage.dev.dovecot import PASSWORD, Dovecot
from triage.mail.imap.provider import ImapProvider
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings

NAME = "imap_latency"
SIZES = {"short": {"messages": 30, "rounds": 2}, "full": {"messages": 200, "rounds": 2}}
AIM_P50_SECONDS = 2.0


def _raw(tag: str) -> bytes:
    return (
        f"From: customer@example.test\r\nTo: support@example.test\r\nSubject: latency {tag}\r\n"
        f"Message-ID: <{tag}@bench.example.test>\r\n\r\nHello, a question about my account.\r\n"
    ).encode()


def _settings(dovecot: Dovecot, client: Client) -> Settings:
    return Settings(
        mail_provider="imap",
        imap_host="127.0.0.1",
        imap_port=dovecot.imap_port,
        imap_security="none",
        imap_user="support",
        imap_password=PASSWORD,
        imap_address=dovecot.address("support"),
        smtp_port=free_port(),
        imap_poll_seconds=60.0,
        watch_idle_timeout_seconds=300.0,
        temporal_task_queue=f"bench-{uuid.uuid4().hex[:6]}",
    )


async def _deliver(dovecot: Dovecot, tag: str) -> None:
    await asyncio.to_thread(dovecot.deliver, _raw(tag))


async def watched(dovecot: Dovecot, watcher: InboxWatcher, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        before = watcher.stats.started
        began = time.perf_counter()
        await _deliver(dovecot, uuid.uuid4().hex)
        async with asyncio.timeout(30):
            while watcher.stats.started == before:
                await asyncio.sleep(0.002)
        latencies.append(time.perf_counter() - began)
    return latencies


async def direct(dovecot: Dovecot, client: Client, n: int) -> list[float]:
    queue = f"nobody-{uuid.uuid4().hex[:6]}"
    latencies = []
    for i in range(n):
        began = time.perf_counter()
        await _deliver(dovecot, f"direct-{uuid.uuid4().hex}")
        await client.start_workflow(FloorWorkflow.run, id=f"{queue}-{i}", task_queue=queue)
        latencies.append(time.perf_counter() - began)
    return latencies


async def run(messages: int, rounds: int) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-imap-") as tmp:
        dovecot = Dovecot(Path(tmp))  # its root must be one the dovecot user may enter
        dovecot.start()
        (Path(tmp) / "temporal").mkdir()
        try:
            async with dev_server(Path(tmp) / "temporal") as (_, client):
                settings = _settings(dovecot, client)
                stop = asyncio.Event()
                async with ImapProvider.from_settings(settings) as mail:
                    watcher = InboxWatcher(client, mail, settings)
                    task = asyncio.create_task(watcher.run(stop))
                    async with asyncio.timeout(30):
                        await watcher.ready.wait()
                    results = await alternate(
                        rounds,
                        lambda: direct(dovecot, client, messages),
                        lambda: watched(dovecot, watcher, messages),
                    )
                    stop.set()
                    await task
        finally:
            dovecot.stop()
    project = [x for r in results["project"] for x in r]
    floor = [x for r in results["floor"] for x in r]
    p50 = statistics.median(project)
    return Report(
        NAME,
        {"messages": messages, "rounds": rounds},
        [
            Comparison(
                "new mail -> workflow start, p50",
                "s",
                p50,
                statistics.median(floor),
                "deliver + direct start",
            )
        ],
        details={
            "watched": percentiles(project),
            "direct": percentiles(floor),
            "aim_p50_seconds": AIM_P50_SECONDS,
            "aim_met": p50 <= AIM_P50_SECONDS,
        },
    )


if __name__ == "__main__":
    cli(NAME, run, SIZES, __doc__)
