"""Pending reviews: N reviews waiting at once on one persistent dev server.

Project: N billing emails (the policy always sends billing to a human) go
into the emulator and through the real workflow and activities (offline
model, drafts saved in the emulator); they are started with the client the
way the watcher's catch-up does, not over the socket. The worker, the
reviewer API and the emulator are processes of their own, as under
``triage up``. Measured: the worker's RSS, ``GET /api/reviews`` latency,
approve latency (``POST /api/reviews/{id}/approve``) on random pending
reviews, and, after a restart of the worker and the dev server on the same
SQLite file, the time until every remaining review answers its ``state``
query as awaiting review (approvable), the first answer's time (the worker's start-up) and the
CPU seconds the dev server and the workers used meanwhile (CPU moves less than time with the
load of a shared machine; likewise while the reviews are created). Memory: each process's RSS idle, every
30 s while the reviews are created (the curve of RSS against N pending), once
N are pending, and the judge's once it is idle again with its model loaded.
Floor, same server and run: ``PendingFloorWorkflow``, which only waits, in a
worker process of its own (bench.floor), with the project worker's cache size and
workflow runner (sandboxed or not: ``TRIAGE_WORKFLOW_SANDBOX``); its RSS, a visibility list of the
same shape, a query + Update per decision (what the API does: read the
revision, then decide), and its time until every one answers a query.

Full size (10,000) runs the same path with two differences, so that it ends in
well under an hour on the shared machine: the dev server's SQLite in
write-ahead mode (``bench.processes.FAST_STORE``; ``--fast-store 0`` for the
default journal), and no restart phase unless ``--restart 1``.

    python -m bench.pending_reviews [--size short|full] [--reviews 1000] [--approvals 50]
        [--fast-store 0|1] [--restart 0|1]
"""

from __future__ import annotations

import asyncio
import random
import secrets
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from bench.floor import WAITING, PendingFloorWorkflow
from bench.harness import (
    Comparison,
    Report,
    bounded_gather,
    cli,
    count_workflows,
    percentiles,
    post_inbound,
    timed,
    wait_for_count,
)
from bench.processes import (
    FAST_STORE,
    DevServer,
    MailSim,
    cpu_seconds,
    mailsim_process,
    rss_mb,
    spawn_python,
    stop_process,
)
from starter.review import get_state, visibility_query
from starter.start import start_triage
from triage.domain.contracts import workflow_id_for
from triage.domain.models import InboundMessage, TriageStatus
from triage.mail.myagentmail.client import MailClient
from triage.mail.myagentmail.convert import from_rest
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings
from triage.runtime.net import wait_http
from worker.main import worker_options

NAME = "pending_reviews"
SIZES = {
    "short": {"reviews": 1000, "approvals": 50, "list_calls": 20, "fast_store": 0, "restart": 1},
    "full": {"reviews": 10000, "approvals": 200, "list_calls": 50, "fast_store": 1, "restart": 0},
}
RSS_EVERY_S = 30.0
CONCURRENCY = 32  # starts and queries in flight, for both sides
QUERY_TIMEOUT_S = 10
BILLING = [
    "I was charged twice for my subscription this month. Please refund the duplicate charge.",
    "My invoice shows the wrong amount, can you correct it and send a new receipt?",
    "Why did the price of my plan go up? I was billed more than last month.",
    "The payment failed but my card was still charged. Please check my billing.",
]
FLOOR_QUERY = f'WorkflowType = "PendingFloorWorkflow" AND TriageStatus = "{WAITING}"'
PROJECT_QUERY = visibility_query(TriageStatus.AWAITING_REVIEW)


# Whose memory is measured: the workflow worker ("project"), the judge worker, the floor worker.
RSS_OF = {"project": "worker", "judge": "judge", "floor": "floor"}


@dataclass
class Stack:
    """The run's processes beside the dev server and the emulator: workflow worker, judge, API, floor worker."""

    directory: Path
    server: DevServer
    sim: MailSim
    api_port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    task_queue: str = field(default_factory=lambda: f"bench-{uuid.uuid4().hex[:6]}")
    floor_queue: str = field(default_factory=lambda: f"floor-{uuid.uuid4().hex[:6]}")
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def _env(self) -> dict[str, str]:
        return {
            "TEMPORAL_ADDRESS": self.server.address,
            "TEMPORAL_TASK_QUEUE": self.task_queue,
            "MYAGENTMAIL_BASE_URL": self.sim.base_url,
            "TRIAGE_PROVIDER": "offline",
            "TRIAGE_REVIEWERS": f"bench:{self.token}",
            "TRIAGE_LOG_LEVEL": "WARNING",
        }

    def _command(self, name: str) -> list[str]:
        return {
            "worker": ["starter.cli", "worker"],
            "judge": ["starter.cli", "judge"],
            "api": ["starter.cli", "api", "--port", str(self.api_port)],
            "floor": [
                "bench.floor",
                *("--address", self.server.address, "--task-queue", self.floor_queue),
                *("--max-cached-workflows", str(worker_options(Settings())["max_cached_workflows"])),
                *("--sandbox", str(int(Settings().workflow_sandbox))),  # as the project's workflows run
            ],
        }[name]

    def start(self, name: str) -> subprocess.Popen:
        self.processes[name] = spawn_python(
            self._command(name), env=self._env(), log=self.directory / f"{name}.log"
        )
        return self.processes[name]

    def pid(self, name: str) -> int:
        if name == "server":
            server = self.server.process
            assert server is not None, "the dev server is not running"
            return server.pid
        return self.processes[name].pid

    def cpu(self, *names: str) -> dict[str, float]:
        """CPU seconds each process has used so far (``server``: the dev server)."""
        return {name: cpu_seconds(self.pid(name)) for name in names}

    async def stop(self, *names: str) -> None:
        for name in names:
            await stop_process(self.processes.pop(name, None))


# ---- creating the pending workflows ---------------------------------------------------


async def inbound_billing(stack: Stack, n: int) -> list[InboundMessage]:
    """N billing emails into the emulator, read back the way the watcher's catch-up reads them."""
    async with httpx.AsyncClient(base_url=stack.sim.control_url, timeout=30) as control:
        await post_inbound(control, BILLING, n, subject="Billing question")
    async with MailClient(stack.sim.base_url, stack.sim.api_key) as mail:
        return [
            from_rest(m, stack.sim.inbox_id)
            async for page in mail.iter_messages(
                stack.sim.inbox_id, direction="inbound", page_size=100, max_pages=n // 100 + 2
            )
            for m in page
        ]


async def rss_curve(client: Client, stack: Stack, samples: list[dict[str, float]]) -> None:
    """Until cancelled: the reviews pending and each process's RSS, every ``RSS_EVERY_S``."""
    began = time.perf_counter()
    while True:
        await asyncio.sleep(RSS_EVERY_S)
        pending = await count_workflows(client, PROJECT_QUERY)
        rss = {name: round(rss_mb(stack.pid(process)), 1) for name, process in RSS_OF.items()}
        samples.append({"s": round(time.perf_counter() - began), "pending": pending, **rss})
        print(f"   RSS (MB) at {pending} pending: {rss}", flush=True)


async def start_reviews(client: Client, stack: Stack, messages: list[InboundMessage]) -> list[str]:
    """One triage workflow per message; returns once all of them wait for a reviewer."""
    settings = Settings(temporal_task_queue=stack.task_queue)

    def start(message: InboundMessage) -> Callable[[], Awaitable[Any]]:
        return lambda: start_triage(
            client,
            message,
            task_queue=stack.task_queue,
            policy=settings.policy_settings(),
            review=settings.review_settings(),
        )

    await bounded_gather((start(m) for m in messages), CONCURRENCY)
    await wait_for_count(
        lambda: count_workflows(client, PROJECT_QUERY), len(messages), what="reviews pending", every=1.0
    )
    return [workflow_id_for(m.message_id) for m in messages]


async def create_floor(client: Client, stack: Stack, n: int) -> list[str]:
    ids = [f"pending-floor-{i}" for i in range(n)]

    def start(workflow_id: str) -> Callable[[], Awaitable[Any]]:
        return lambda: client.start_workflow(
            PendingFloorWorkflow.run, id=workflow_id, task_queue=stack.floor_queue
        )

    await bounded_gather((start(i) for i in ids), CONCURRENCY)
    await wait_for_count(lambda: count_workflows(client, FLOOR_QUERY), n, what="floor pending", every=1.0)
    return ids


# ---- the measured operations ----------------------------------------------------------


async def api_list(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/reviews", params={"limit": 50})
    response.raise_for_status()


async def floor_list(client: Client) -> None:
    iterator = client.list_workflows(FLOOR_QUERY, page_size=50)
    await iterator.fetch_next_page(page_size=50)


async def api_approve(http: httpx.AsyncClient, workflow_id: str) -> None:
    response = await http.post(f"/api/reviews/{workflow_id}/approve", json={})
    response.raise_for_status()
    assert response.json()["status"] == "sent", response.text


async def floor_approve(client: Client, workflow_id: str) -> None:
    handle = client.get_workflow_handle(workflow_id)
    await handle.query(PendingFloorWorkflow.state)  # what the API does first: read the state
    await handle.execute_update(PendingFloorWorkflow.decide)


async def latencies_ms(calls: list[Callable[[], Awaitable[Any]]]) -> dict[str, float]:
    """One call after the other: latency as a reviewer sees it, not under a burst."""
    times = [(await timed(call()))[1] * 1000 for call in calls]
    return percentiles(times)


async def until_answers(query: Callable[[], Awaitable[Any]], expected: Any) -> None:
    """Retry a query until it answers ``expected``; without a worker queries time out."""
    while True:
        try:
            if await query() == expected:
                return
        except Exception:
            pass
        await asyncio.sleep(0.2)


async def time_until_all_answer(client: Client, ids: list[str], project: bool) -> tuple[float, float]:
    """Seconds until every workflow answers, and until the first one did (the worker's start-up)."""
    timeout = timedelta(seconds=QUERY_TIMEOUT_S)
    first: list[float] = []

    def check(workflow_id: str) -> Callable[[], Awaitable[None]]:
        handle = client.get_workflow_handle(workflow_id)
        if project:

            async def status() -> TriageStatus:
                return (await get_state(client, workflow_id, rpc_timeout=timeout)).status

            answers = until_answers(status, TriageStatus.AWAITING_REVIEW)
        else:
            answers = until_answers(
                lambda: handle.query(PendingFloorWorkflow.state, rpc_timeout=timeout), "waiting"
            )
        return lambda: noted(answers)

    async def noted(answers: Awaitable[None]) -> None:
        await answers
        if not first:
            first.append(time.perf_counter() - began)

    began = time.perf_counter()
    await bounded_gather((check(i) for i in ids), CONCURRENCY)
    return time.perf_counter() - began, first[0]


# ---- the run --------------------------------------------------------------------------


async def start_stack(stack: Stack) -> Client:
    client = await stack.server.start()
    for name in ("worker", "judge", "floor", "api"):
        stack.start(name)
    await wait_http(f"{stack.api_url}/healthz", timeout=120)  # four processes start at once
    await asyncio.sleep(5)  # both workers imported, connected and polling before the idle RSS
    return client


async def restart_measured(stack: Stack, review_ids: list[str], floor_ids: list[str]) -> dict[str, Any]:
    """Worker, floor worker and dev server down; server up on the same file; each worker in turn.
    CPU: the started workers' whole (their start-up included), the server's during each phase."""
    await stack.stop("worker", "judge", "floor")
    await stack.server.stop()
    client, server_s = await timed(stack.server.start())
    server_cpu = stack.cpu("server")
    stack.start("worker")
    stack.start("judge")
    project_s, project_first_s = await time_until_all_answer(client, review_ids, project=True)
    project_cpu = cpu_since(stack.cpu("server", "worker", "judge"), server_cpu)
    server_cpu = stack.cpu("server")
    stack.start("floor")
    floor_s, floor_first_s = await time_until_all_answer(client, floor_ids, project=False)
    floor_cpu = cpu_since(stack.cpu("server", "floor"), server_cpu)
    return {
        "server_restart_s": server_s,
        "project_s": project_s,
        "floor_s": floor_s,
        "first_answer_s": {"project": project_first_s, "floor": floor_first_s},
        "cpu_s": {"project": project_cpu, "floor": floor_cpu},
    }


def cpu_since(now: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """CPU seconds used since ``before`` (a process missing there started since: all of its own)."""
    return {name: round(seconds - before.get(name, 0.0), 2) for name, seconds in now.items()}


async def measure(
    stack: Stack, reviews: int, approvals: int, list_calls: int, restart: bool
) -> dict[str, Any]:
    rng = random.Random(0)
    client = await start_stack(stack)
    idle = {name: rss_mb(stack.pid(process)) for name, process in RSS_OF.items()}
    messages = await inbound_billing(stack, reviews)  # the mail arriving: not timed
    curve: list[dict[str, float]] = []
    sampler = asyncio.create_task(rss_curve(client, stack, curve))
    project_processes = ("server", "worker", "judge")
    before = stack.cpu(*project_processes)
    try:
        review_ids, create_s = await timed(start_reviews(client, stack, messages))
    finally:
        sampler.cancel()
    create_cpu = {"project": cpu_since(stack.cpu(*project_processes), before)}
    # The reviews first: a long run cut short has the project's memory against N already.
    before = stack.cpu("server", "floor")
    floor_ids, floor_create_s = await timed(create_floor(client, stack, reviews))
    create_cpu["floor"] = cpu_since(stack.cpu("server", "floor"), before)
    await asyncio.sleep(3)
    rss = {name: rss_mb(stack.pid(process)) for name, process in RSS_OF.items()}
    headers = {"Authorization": f"Bearer {stack.token}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=120) as http:
        lists = {
            "project": await latencies_ms([lambda: api_list(http)] * list_calls),
            "floor": await latencies_ms([lambda: floor_list(client)] * list_calls),
        }
        approved = rng.sample(review_ids, approvals)
        floor_approved = rng.sample(floor_ids, approvals)
        approves = {
            "project": await latencies_ms([partial(api_approve, http, i) for i in approved]),
            "floor": await latencies_ms([partial(floor_approve, client, i) for i in floor_approved]),
        }
    remaining = sorted(set(review_ids) - set(approved)), sorted(set(floor_ids) - set(floor_approved))
    return {
        "rss_mb_idle": idle,
        "rss_mb_pending": rss,
        "rss_mb_curve": curve,
        "create_s": {"project": create_s, "floor": floor_create_s},
        # CPU seconds of each process while the reviews (then the floor's) were created.
        "create_cpu_s": create_cpu,
        "list_ms": lists,
        "approve_ms": approves,
        "restart": await restart_measured(stack, *remaining) if restart else None,
    }


def comparisons(d: dict[str, Any]) -> list[Comparison]:
    lists, approves, create_cpu = d["list_ms"], d["approve_ms"], d["create_cpu_s"]
    return [
        Comparison(
            "time to N pending", "s", d["create_s"]["project"], d["create_s"]["floor"], "floor", "<= 1.5"
        ),
        # CPU moves less than time with the load of a shared machine: the dev server's and the
        # workers' (the emulator stands in for a remote service: not counted), summed.
        Comparison(
            "CPU to N pending",
            "s",
            sum(create_cpu["project"].values()),
            sum(create_cpu["floor"].values()),
            "floor",
        ),
        Comparison(
            "worker RSS, N pending",
            "MB",
            d["rss_mb_pending"]["project"],
            d["rss_mb_pending"]["floor"],
            "floor worker",
        ),
        # The judge holds the model: its RSS against the floor worker's, both idle; once started,
        # and once it has judged the N messages (its model and knowledge base loaded).
        *(
            Comparison(f"judge RSS, {when}", "MB", d[key]["judge"], d[key]["floor"], "floor worker")
            for when, key in (("started", "rss_mb_idle"), ("idle, model loaded", "rss_mb_pending"))
        ),
        Comparison("list p50", "ms", lists["project"]["p50"], lists["floor"]["p50"], "floor list"),
        Comparison("list p99", "ms", lists["project"]["p99"], lists["floor"]["p99"], "floor list"),
        Comparison(
            "approve p50", "ms", approves["project"]["p50"], approves["floor"]["p50"], "floor q+update"
        ),
        Comparison(
            "approve p99", "ms", approves["project"]["p99"], approves["floor"]["p99"], "floor q+update"
        ),
    ] + (
        [
            Comparison(
                "all approvable after restart", "s", restart["project_s"], restart["floor_s"], "floor", "<= 2"
            ),
            Comparison(
                "CPU until all approvable",
                "s",
                sum(restart["cpu_s"]["project"].values()),
                sum(restart["cpu_s"]["floor"].values()),
                "floor",
            ),
        ]
        if (restart := d["restart"])
        else []
    )


async def run(reviews: int, approvals: int, list_calls: int, fast_store: int, restart: int) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        async with mailsim_process(Path(tmp)) as sim:
            server = DevServer(Path(tmp), FAST_STORE if fast_store else ())
            stack = Stack(Path(tmp), server, sim)
            try:
                details = await measure(stack, reviews, approvals, list_calls, bool(restart))
            finally:
                await stack.stop("api", "worker", "judge", "floor")
                await stack.server.stop()
    params = dict(reviews=reviews, approvals=approvals, list_calls=list_calls)
    params |= dict(fast_store=fast_store, restart=restart)
    return Report(NAME, params, comparisons(details), details)


if __name__ == "__main__":
    cli(NAME, run, SIZES, __doc__)
