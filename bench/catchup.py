"""Catch-up: N messages arrive while the watcher is down.

Project: N emails are in the emulator's inbox before the watcher starts;
measured is the time from the watcher's start (connect, subscribe, REST
catch-up) until every message has its workflow. No worker runs, so that only
the start path is measured.
Baseline, same server and run: the client starting N no-op workflows
directly, 32 at a time (8 to 64 at a time start equally fast here: the
server is the limit). Rounds alternate ABBA; each watcher round has an
emulator (inbox) of its own.

    python -m bench.catchup [--size short|full] [--messages 500] [--rounds 2]
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from bench.floor import FloorWorkflow
from bench.harness import (
    Comparison,
    Report,
    alternate,
    bench_settings,
    bounded_gather,
    cli,
    count_workflows,
    post_inbound,
    timed,
    wait_for_count,
)
from bench.processes import MailSim, dev_server, mailsim_process
from starter.watcher import InboxWatcher
from triage.mail.factory import build_mail_provider

NAME = "catchup"
SIZES = {"short": {"messages": 500, "rounds": 2}, "full": {"messages": 5000, "rounds": 2}}
CLIENT_CONCURRENCY = 32
WARM_UP = 50
PAGE_SIZE = 100  # the watcher's REST page


async def start_directly(client: Client, n: int) -> float:
    queue = f"nobody-{uuid.uuid4().hex[:6]}"  # no worker: starting is all there is
    starts = (
        lambda i=i: client.start_workflow(FloorWorkflow.run, id=f"{queue}-{i}", task_queue=queue)
        for i in range(n)
    )
    _, elapsed = await timed(bounded_gather(starts, CLIENT_CONCURRENCY))
    return elapsed


async def watcher_round(client: Client, directory: Path, n: int) -> float:
    async with mailsim_process(directory) as sim:
        return await watcher_catch_up(client, sim, n)


async def watcher_catch_up(client: Client, sim: MailSim, n: int) -> float:
    # The default page limit (50 pages of 100) would stop short of a large backlog.
    settings = bench_settings(sim, catchup_max_pages=n // PAGE_SIZE + 2)
    async with httpx.AsyncClient(base_url=sim.control_url, timeout=30) as control:
        await post_inbound(control, ["Hello, a question about my account."], n, subject="While you were away")
    stop = asyncio.Event()
    async with build_mail_provider(settings) as mail:
        watcher = InboxWatcher(client, mail, settings)
        began = time.perf_counter()
        watch = asyncio.create_task(watcher.run(stop))
        await wait_for_count(lambda: _started(watcher), n, what="workflows started", every=0.02)
        elapsed = time.perf_counter() - began
        stop.set()
        await watch
    # Visibility trails the starts by a moment; it must end at exactly one workflow per message.
    query = f'TaskQueue = "{settings.temporal_task_queue}" AND WorkflowType = "SupportTriageWorkflow"'
    await wait_for_count(lambda: count_workflows(client, query), n, what="workflows listed", stall_timeout=30)
    if (listed := await count_workflows(client, query)) != n:
        raise AssertionError(f"{listed} workflows for {n} messages")
    return elapsed


async def _started(watcher: InboxWatcher) -> int:
    return watcher.stats.started


async def run(messages: int, rounds: int) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        async with dev_server(Path(tmp)) as (_, client):
            await start_directly(client, WARM_UP)
            times = await alternate(
                rounds,
                lambda: start_directly(client, messages),
                lambda: watcher_round(client, Path(tmp), messages),
            )
    project_s, baseline_s = statistics.fmean(times["project"]), statistics.fmean(times["floor"])
    return Report(
        NAME,
        {"messages": messages, "rounds": rounds},
        [
            Comparison("time to start all", "s", project_s, baseline_s, "client starts"),
            Comparison("start rate", "msg/s", messages / project_s, messages / baseline_s, "client starts"),
        ],
        {"seconds": times},
    )


if __name__ == "__main__":
    cli(NAME, run, SIZES, __doc__)
