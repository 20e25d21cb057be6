"""Burst: N messages arrive at once.

Project: N emails are posted to the emulator together, while the watcher, the
workflow worker and a judge worker run as processes of their own (as under
``triage up``, the offline model, the dev server's SQLite pragmas
``TRIAGE_TEMPORAL_SQLITE_PRAGMAS``; the floor runs on the same server). Most come from a sender (and a domain) of
their own; a few senders write ``limit + 2`` each, so the per-sender limit is
counted under the same burst, and the inbox's budget per hour
(``--inbox-limit``) is smaller than the burst, so it is counted too.
Measured, once every message has settled:
- the time until then, against N no-op floor workflows started at once;
- capacity failures: an activity, local activity or Update that failed for
  lack of capacity or time (the workers' logs: failed activity attempts,
  "waiting for update", RESOURCE_EXHAUSTED; the histories: workflow and
  activity tasks that timed out or failed);
- workflow tasks re-routed from the worker's sticky queue (they waited past
  its schedule-to-start timeout): no call failed, but the worker could not
  keep up, and each costs a replay; counted apart (``bench.workflow_tasks``);
- the longest workflow task (WorkflowTaskStarted to WorkflowTaskCompleted,
  or to its timeout on the worker, from every history): the aim is 2 s, far
  below the deadlock detector;
- every message in its right state: auto-sent or held for review by a
  budget, no sender over its limit, the inbox not over its budget; and how
  many fewer were sent than the budgets allow (a shared inbox budget may
  send fewer, never more);
- Updates per automatic reply: every Update the sender counters and the
  inbox's counter took (their histories), over the replies sent.

    python -m bench.burst [--size short|full] [--messages 500] [--repeat-senders 10] [--inbox-limit 200]
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
import uuid
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.floor import FloorWorkflow, noop
from bench.harness import Comparison, Report, bench_settings, bounded_gather, cli, wait_for_count
from bench.pipeline import ROUTINE, routine_texts
from bench.processes import (
    cpu_seconds,
    dev_server,
    judge_process,
    mailsim_process,
    settings_environment,
    spawn_python,
    stop_process,
)
from bench.workflow_tasks import REROUTED, TaskFigures, task_figures
from starter.review import get_state
from triage.domain import contracts
from triage.domain.contracts import workflow_id_for
from triage.domain.models import PolicySettings, TriageStatus
from triage.domain.policy import AUTO_REPLY_LIMIT
from triage.judging.offline import OfflineProvider
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings
from triage.runtime.temporal_client import unless_missing
from worker.main import worker_options

NAME = "burst"
SIZES = {
    "short": {"messages": 150, "repeat_senders": 5, "inbox_limit": 100},
    "full": {"messages": 500, "repeat_senders": 10, "inbox_limit": 200},
}
WORKFLOW_TASK_AIM_S = 2.0
# The workflow worker's own counters (its Prometheus endpoint, read before it stops): how
# often a task found its run cached, how many runs were evicted to make room, and replays.
WORKER_METRICS = (
    "temporal_sticky_cache_hit",
    "temporal_sticky_cache_miss",
    "temporal_sticky_cache_total_forced_eviction",
    "temporal_workflow_task_replay_latency_count",
    "temporal_workflow_task_execution_latency_count",
    "temporal_workflow_task_execution_failed",
)
WARNING = re.compile(r"\b(WARN|WARNING|ERROR)\b|\"level\":\"(warn|error)\"", re.I)
STALL_S = 300.0  # no message settled for this long: the burst is stuck
# In the workers' logs, the lines of a task that failed or waited for capacity, by kind.
LOGGED_KINDS = {
    "workflow task over 5 s": re.compile("TMPRL1104"),
    "update refused: 10 in flight": re.compile(r"RESOURCE_EXHAUSTED|in-flight updates", re.I),
    "update aborted or timed out": re.compile(r"waiting for update|update was aborted", re.I),
    "activity attempt failed": re.compile("Completing activity as failed", re.I),
}


def senders(messages: int, repeat_senders: int, limit: int) -> list[str]:
    """One address per message, each of its own domain (the domain budget stays out of the way):
    ``repeat_senders`` addresses write ``limit + 2`` times, the rest once."""
    repeated = [f"repeat{s}@repeater{s}.example" for s in range(repeat_senders) for _ in range(limit + 2)]
    return repeated + [f"customer{i}@shop{i}.example" for i in range(messages - len(repeated))]


async def post_all(control: httpx.AsyncClient, texts: list[str], addresses: list[str]) -> dict[str, str]:
    """Every email into the inbox at once: message id -> sender."""

    def one(i: int, address: str):
        async def post() -> tuple[str, str]:
            body = {"from": address, "subject": "Question", "plain_body": texts[i % len(texts)]}
            response = await control.post("/_sim/inbound", json=body)
            response.raise_for_status()
            return response.json()["message_id"], address

        return post

    return dict(await bounded_gather((one(i, a) for i, a in enumerate(addresses)), 32))


async def run_floor(client: Client, n: int) -> float:
    """N no-op floor workflows (4 activities each) started together (32 starts in flight): seconds until all closed."""
    queue = f"floor-{uuid.uuid4().hex[:6]}"
    async with Worker(
        client, task_queue=queue, workflows=[FloorWorkflow], activities=[noop], **worker_options(Settings())
    ):
        began = time.perf_counter()
        handles = await bounded_gather(
            (
                partial(client.start_workflow, FloorWorkflow.run, id=f"floor-{queue}-{i}", task_queue=queue)
                for i in range(n)
            ),
            32,
        )
        await asyncio.gather(*(h.result() for h in handles))
        return time.perf_counter() - began


async def settled_count(client: Client, settings_queue: str) -> int:
    waiting = await client.count_workflows(
        f"WorkflowType = 'SupportTriageWorkflow' AND TaskQueue = '{settings_queue}' AND "
        f"(ExecutionStatus != 'Running' OR TriageStatus = 'awaiting_review')"
    )
    return waiting.count


async def worker_metrics(port: int) -> dict[str, float]:
    """``WORKER_METRICS`` from the worker's Prometheus endpoint, each summed over its labels
    (a counter that never counted is absent: 0)."""
    async with httpx.AsyncClient(timeout=30) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    totals = dict.fromkeys(WORKER_METRICS, 0.0)
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0].removesuffix("_total")  # a counter may end so
        if name in totals:
            totals[name] += float(line.rsplit(" ", 1)[1])
    return {name.removeprefix("temporal_"): value for name, value in totals.items()}


async def history_figures(client: Client, workflow_id: str) -> TaskFigures:
    """One triage workflow's tasks (``bench.workflow_tasks``)."""
    events = [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
    return task_figures(workflow_id, events)


async def outcomes(client: Client, sent_by: dict[str, str], limit: int, inbox_limit: int) -> dict[str, Any]:
    """Each message auto-sent or held by a budget; no budget exceeded; fewer sent than allowed, if any."""
    states = await bounded_gather((partial(get_state, client, workflow_id_for(m)) for m in sent_by), 32)
    by_sender: dict[str, Counter[str]] = {}
    wrong = wrong_held = 0
    for message_id, state in zip(sent_by, states, strict=True):
        status = state.status
        held = status is TriageStatus.AWAITING_REVIEW and any(
            r.startswith(AUTO_REPLY_LIMIT)
            for r in (state.policy_decision.reasons if state.policy_decision else [])
        )
        wrong += not (status is TriageStatus.AUTO_SENT or held)
        wrong_held += status is TriageStatus.AWAITING_REVIEW and not held
        by_sender.setdefault(sent_by[message_id], Counter())[status.value] += 1
    sent = sum(c[TriageStatus.AUTO_SENT.value] for c in by_sender.values())
    over_sender = sum(max(0, c[TriageStatus.AUTO_SENT.value] - limit) for c in by_sender.values())
    # An exact count sends this many: every sender's first ``limit``, up to the inbox's budget.
    allowed = min(inbox_limit, sum(min(sum(c.values()), limit) for c in by_sender.values()))
    return {
        "wrong_state": wrong + over_sender + max(0, sent - inbox_limit),
        "auto_sent": sent,
        "held_by_a_budget": sum(c[TriageStatus.AWAITING_REVIEW.value] for c in by_sender.values())
        - wrong_held,
        "allowed_by_budgets": allowed,
        "fewer_than_allowed": allowed - sent,
        "statuses": dict(sum(by_sender.values(), Counter())),
    }


async def counter_updates(client: Client, queue: str, inbox_id: str) -> dict[str, int]:
    """Updates the inbox's counters took: the sender counters' and the inbox's own (the pool)."""
    ids = [
        contracts.inbox_reply_counter_id(queue, inbox_id),
        *contracts.auto_reply_counter_ids(queue, inbox_id),
    ]

    async def accepted(workflow_id: str) -> int:
        count = 0
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            count += event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        return count

    async def updates(workflow_id: str) -> tuple[str, int]:
        # Never started (no sender of the burst maps to it): none. Any other error is the run's.
        return workflow_id, await unless_missing(accepted(workflow_id), 0) or 0

    counted = dict(await bounded_gather((partial(updates, w) for w in ids), 16))
    inbox = counted.pop(contracts.inbox_reply_counter_id(queue, inbox_id))
    return {"sender_counters": sum(counted.values()), "inbox_counter": inbox}


async def run(messages: int, repeat_senders: int, inbox_limit: int) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        async with (
            dev_server(directory, Settings().temporal_sqlite_pragmas) as (server, client),
            mailsim_process(directory) as sim,
            httpx.AsyncClient(base_url=sim.control_url, timeout=60) as control,
        ):
            # The default domain budget (bench_settings lifts it for the throughput runs): with
            # it above the inbox's, every counter's share would be 0 and each reply ask the pool.
            settings = bench_settings(
                sim,
                provider="offline",
                auto_reply_inbox_limit=inbox_limit,
                auto_reply_domain_limit=PolicySettings().auto_reply_domain_limit,
            )
            limit = settings.auto_reply_limit
            texts = await routine_texts(OfflineProvider(), settings, ROUTINE)
            floor_s = await run_floor(client, messages)
            env = {
                **settings_environment(settings),
                "TEMPORAL_ADDRESS": server.address,
                "TRIAGE_LOG_LEVEL": "WARNING",
            }
            metrics_port = free_port()
            worker = spawn_python(
                ["starter.cli", "worker"],
                env={**env, "TRIAGE_METRICS_PORT": str(metrics_port)},
                log=directory / "worker.log",
            )
            watcher = spawn_python(["starter.cli", "watch"], env=env, log=directory / "watch.log")
            try:
                async with judge_process(settings, server.address, directory) as judge:
                    await asyncio.sleep(
                        3
                    )  # the workers and the watcher connected: their start-up is not the burst's
                    assert server.process is not None  # it serves
                    pids = {
                        "dev server": server.process.pid,
                        "workflow worker": worker.pid,
                        "judge": judge.pid,
                        "watcher": watcher.pid,
                    }
                    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                    began = time.perf_counter()
                    sent_by = await post_all(control, texts, senders(messages, repeat_senders, limit))
                    queue = settings.temporal_task_queue
                    # The first of 500 can take minutes to settle on a loaded machine: all start together.
                    await wait_for_count(
                        lambda: settled_count(client, queue), messages, what="settled", stall_timeout=STALL_S
                    )
                    elapsed = time.perf_counter() - began
                    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
                    figures = await bounded_gather(
                        (partial(history_figures, client, workflow_id_for(m)) for m in sent_by), 32
                    )
                    states = await outcomes(client, sent_by, limit, inbox_limit)
                    updates = await counter_updates(client, queue, settings.inbox_id)
                    counted = await worker_metrics(metrics_port)
            finally:
                await asyncio.gather(stop_process(watcher), stop_process(worker))
            logged = [
                (kind, line[:300])
                for path in sorted(directory.glob("*.log"))
                if path.name != "temporal.log"
                for line in path.read_text(errors="replace").splitlines()
                if (kind := next((k for k, p in LOGGED_KINDS.items() if p.search(line)), None))
            ]
            # Warnings and errors of every process, the server's too: what a lost task left behind.
            warnings = {
                path.name: [line[:300] for line in lines if WARNING.search(line)][-5:]
                for path in sorted(directory.glob("*.log"))
                if (lines := path.read_text(errors="replace").splitlines())
            }
    kinds = Counter(kind for kind, _ in logged)
    asked = states["auto_sent"] + states["held_by_a_budget"]
    details = {
        "elapsed_s": elapsed,
        "floor_elapsed_s": floor_s,
        # CPU seconds each process used from the first post until all settled: which one the burst waits on.
        "cpu_s_until_settled": {name: round(seconds, 1) for name, seconds in cpu.items()},
        "longest_workflow_task_s": max(f.longest_s for f in figures),
        "longest_workflow_task_at": max(figures, key=lambda f: f.longest_s).where,
        "workflow_tasks_over_2s_then": dict(
            Counter(
                " + ".join(f.where["then"]) or f"(none: {f.where['ended']})"
                for f in figures
                if f.longest_s > WORKFLOW_TASK_AIM_S
            )
        ),
        "tasks_timed_out_or_failed": sum(f.failures.total() for f in figures),
        "tasks_timed_out_or_failed_by_kind": dict(sum((f.failures for f in figures), Counter[str]())),
        "workflow_tasks_timed_out_at": [at for f in figures for at in f.failed_at][:10],
        "a_timed_out_workflow": next((f.timeline for f in figures if f.timeline), []),
        "workflow_tasks_rerouted": sum(f.rerouted for f in figures),
        "last_warnings": {name: lines for name, lines in warnings.items() if lines},
        "logged_capacity_failures": len(logged),
        "logged_by_kind": dict(kinds),
        "logged_samples": {k: [line for kind, line in logged if kind == k][:3] for k in kinds},
        **states,
        "counter_updates": updates,
        "workflow_worker": counted,
        "updates_per_auto_reply": sum(updates.values()) / max(1, states["auto_sent"]),
        "updates_per_reservation": sum(updates.values()) / max(1, asked),
    }
    failures = details["tasks_timed_out_or_failed"] + len(logged)
    return Report(
        NAME,
        {"messages": messages, "repeat_senders": repeat_senders, "inbox_limit": inbox_limit},
        [
            Comparison("time until all settled", "s", elapsed, floor_s, "floor"),
            Comparison(
                "longest workflow task",
                "s",
                details["longest_workflow_task_s"],
                WORKFLOW_TASK_AIM_S,
                "2 s",
                "<= 1.0",
            ),
            Comparison("capacity failures", "count", failures, messages, "messages", "<= 0"),
            Comparison(
                REROUTED,
                "count",
                details["workflow_tasks_rerouted"],
                messages,
                "messages",
                "<= 0",
            ),
            Comparison(
                "messages in a wrong state", "count", states["wrong_state"], messages, "messages", "<= 0"
            ),
            Comparison(
                "auto-sent vs what the budgets allow",
                "count",
                states["auto_sent"],
                states["allowed_by_budgets"],
                "exact count",
                "<= 1.0",
            ),
            Comparison(
                "counter Updates per message the policy would send",
                "count",
                details["updates_per_reservation"],
                1.0,
                "one",
            ),
        ],
        details,
    )


if __name__ == "__main__":
    cli(NAME, run, SIZES, __doc__)
