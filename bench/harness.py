"""What every benchmark shares: measurements, reports, settings and traffic (processes: ``bench.processes``).

Each benchmark compares the project with a baseline measured in the same run
on the same server and reports ratios: the machine is shared and noisy, so
absolute figures move from run to run while ratios move much less.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from triage.dev.devserver import temporal_binary
from triage.runtime.config import Settings

T = TypeVar("T")


# ---- statistics -----------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


async def timed(action: Awaitable[T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = await action
    return result, time.perf_counter() - began


async def bounded_gather(actions: Iterable[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the actions at most ``limit`` at a time; results in order."""
    slots = asyncio.Semaphore(limit)

    async def one(action: Callable[[], Awaitable[T]]) -> T:
        async with slots:
            return await action()

    return await asyncio.gather(*(one(action) for action in actions))


async def poll_until(check: Callable[[], Awaitable[bool]], *, timeout: float, every: float = 0.5) -> bool:
    """Ask ``check`` every ``every`` seconds until it says yes (True) or ``timeout`` has passed
    (False); it is asked at least once, and once more at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if (left := deadline - loop.time()) <= 0:
            return False
        await asyncio.sleep(min(every, left))
    return True


async def wait_for_count(
    count: Callable[[], Awaitable[int]],
    target: int,
    *,
    what: str,
    stall_timeout: float = 120.0,
    every: float = 0.2,
    report_every: float = 60.0,
) -> float:
    """Poll ``count`` until it reaches ``target``; seconds taken. Fails when progress stalls."""
    began = last_progress = last_report = time.perf_counter()
    best = -1
    while (now := await count()) < target:
        moment = time.perf_counter()
        if now > best:
            best, last_progress = now, moment
        elif moment - last_progress > stall_timeout:
            raise TimeoutError(f"{what}: stuck at {now}/{target} for {stall_timeout:.0f}s")
        if moment - last_report > report_every:  # long runs say they are alive
            print(f"   {what}: {now}/{target} after {moment - began:.0f}s", flush=True)
            last_report = moment
        await asyncio.sleep(every)
    return time.perf_counter() - began


async def wait_for_pollers(
    client: Client, queues: dict[str, TaskQueueType.ValueType], timeout: float
) -> bool:
    """Until every queue has a poller of its kind (the workflow worker, the judge); False after ``timeout``."""

    async def polled(name: str, kind: TaskQueueType.ValueType) -> bool:
        request = DescribeTaskQueueRequest(
            namespace=client.namespace, task_queue=TaskQueue(name=name), task_queue_type=kind
        )
        return bool((await client.workflow_service.describe_task_queue(request)).pollers)

    async def all_polled() -> bool:
        return all([await polled(name, kind) for name, kind in queues.items()])

    return await poll_until(all_polled, timeout=timeout)


async def alternate(
    rounds: int, floor: Callable[[], Awaitable[T]], project: Callable[[], Awaitable[T]]
) -> dict[str, list[T]]:
    """Floor and project phases in ABBA order, so that neither always gets the
    fresher server (the SQLite file grows, the machine's load drifts); each
    side's results in run order."""
    results: dict[str, list[T]] = {"floor": [], "project": []}
    for r in range(rounds):
        order = ("floor", "project") if r % 2 == 0 else ("project", "floor")
        for side in order:
            results[side].append(await (floor if side == "floor" else project)())
    return results


# ---- reports --------------------------------------------------------------------------


@dataclass
class Comparison:
    """One figure of the project against its baseline; ``ratio`` = project / baseline."""

    metric: str
    unit: str
    project: float
    baseline: float
    baseline_name: str
    aim: str | None = None  # on the ratio, e.g. ">= 0.80" or "<= 1.5"

    @property
    def ratio(self) -> float:
        return self.project / self.baseline if self.baseline else float("nan")

    @property
    def met(self) -> bool | None:
        if self.aim is None:
            return None
        op, bound = self.aim.split()
        return self.ratio >= float(bound) if op == ">=" else self.ratio <= float(bound)

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio, "met": self.met}


@dataclass
class Report:
    benchmark: str
    params: dict[str, Any]
    comparisons: list[Comparison]
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "params": self.params,
            "machine": machine(),
            "comparisons": [c.as_json() for c in self.comparisons],
            "details": self.details,
            "error": self.error,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2, default=str))


def _figure(value: float) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def print_table(reports: list[Report]) -> None:
    header = ("benchmark", "metric", "project", "baseline", "ratio", "aim", "met")
    rows = []
    for report in reports:
        if report.error:
            rows.append((report.benchmark, f"FAILED: {report.error[:70]}", "", "", "", "", ""))
        for c in report.comparisons:
            met = {None: "", True: "yes", False: "NO"}[c.met]
            rows.append(
                (
                    report.benchmark,
                    f"{c.metric} ({c.unit})",
                    _figure(c.project),
                    f"{_figure(c.baseline)} {c.baseline_name}",
                    _figure(c.ratio),
                    c.aim or "",
                    met,
                )
            )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def machine() -> dict[str, Any]:
    memory_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "temporalio": metadata.version("temporalio"),
        "dev_server": _dev_server_version(),
    }


def _dev_server_version() -> str:
    try:
        out = subprocess.run(
            [temporal_binary(), "--version"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.strip().removeprefix("temporal version ")


# ---- the emulator and Temporal, as the benchmarks use them ----------------------------


async def count_workflows(client: Client, query: str) -> int:
    return (await client.count_workflows(query)).count


BENCH_BUDGET = 100_000


def bench_settings(sim: Any, **overrides: Any) -> Settings:
    """Settings for a fresh task queue against a running emulator (``RunningMailSim``)."""
    values: dict[str, Any] = dict(
        temporal_task_queue=f"bench-{uuid.uuid4().hex[:6]}",
        # The throughput benchmarks send hundreds of replies an hour: the hourly domain and
        # inbox budgets would hold all but the first 20 (one domain) or 200 and the run would
        # never finish. They measure the pipeline, not the budgets; bench.burst and
        # bench.chaos pass the budgets they exercise.
        # The inbox budget well above the domain's, so each sender counter's share has room
        # (triage.domain.senders.inbox_share) and no reply waits on the pool.
        auto_reply_domain_limit=BENCH_BUDGET,
        auto_reply_inbox_limit=100 * BENCH_BUDGET,
        mail_base_url=sim.base_url,
        mail_api_key=sim.api_key,
        mail_ws_url=sim.ws_url,
        inbox_id=sim.inbox_id,
    )
    values.update(overrides)
    return Settings(**values)


async def post_inbound(
    control: httpx.AsyncClient, texts: list[str], n: int, *, subject: str, limit: int = 16
) -> dict[str, datetime]:
    """Put ``n`` emails into the emulator's inbox (bodies cycled from ``texts``): id -> when posted.

    Each from a sender and a domain of its own, new at every call, as a support inbox's
    many customers: their reservations spread over the inbox's sender counters (one
    domain would put every one on one counter) and the per-sender limit never holds one.
    """
    batch = uuid.uuid4().hex[:6]

    def one(i: int) -> Callable[[], Awaitable[tuple[str, datetime]]]:
        async def post() -> tuple[str, datetime]:
            posted_at = datetime.now(UTC)
            response = await control.post(
                "/_sim/inbound",
                json={
                    "from": f"customer{i}@shop{i}-{batch}.example",
                    "subject": subject,
                    "plain_body": texts[i % len(texts)],
                },
            )
            response.raise_for_status()
            return response.json()["message_id"], posted_at

        return post

    return dict(await bounded_gather((one(i) for i in range(n)), limit))


# ---- running a benchmark --------------------------------------------------------------

Sizes = dict[str, dict[str, Any]]


def execute(name: str, run: Callable[..., Coroutine[Any, Any, Report]], params: dict[str, Any]) -> Report:
    """Run one benchmark in a fresh event loop; a failure becomes a report, not a crash."""
    print(f"== {name} {params}", flush=True)
    try:
        return asyncio.run(run(**params))
    except Exception as err:
        return Report(name, params, [], error=f"{type(err).__name__}: {err}")


def cli(name: str, run: Callable[..., Coroutine[Any, Any, Report]], sizes: Sizes, doc: str) -> None:
    """``python -m bench.NAME [--size short|full] [--PARAM VALUE ...] [--json PATH]``."""
    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--size", choices=sorted(sizes), default="short", help="preset parameters")
    for key, value in sizes["short"].items():
        parser.add_argument(
            f"--{key.replace('_', '-')}", type=type(value), help=f"default {sizes['full'][key]} (full)"
        )
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    params = {
        **sizes[args.size],
        **{k: getattr(args, k) for k in sizes["short"] if getattr(args, k) is not None},
    }
    report = execute(name, run, params)
    print_table([report])
    if args.json:
        report.write(args.json)
    sys.exit(1 if report.error else 0)
