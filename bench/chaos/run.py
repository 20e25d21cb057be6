"""One whole chaos run: start everything, stream and break things, settle, reconcile, report."""

from __future__ import annotations

import asyncio
import random
import shutil
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.client import Client

from bench.chaos.children import ChildProcesses, child_env
from bench.chaos.faults import FaultScript
from bench.chaos.plan import ChaosPlan, fault_schedule, plan_emails
from bench.chaos.reconcile import reconcile
from bench.chaos.report import ChaosReport
from bench.chaos.reviewers import Reviewers
from bench.chaos.settle import settle
from bench.chaos.stream import InjectedEmail, inject_messages
from bench.harness import poll_until, wait_for_pollers
from starter.review import get_state
from triage.dev.fake_openai import fake_openai
from triage.domain.contracts import WORKFLOW_ID_PREFIX
from triage.mail.sim.runner import running_mailsim, wait_for_subscriber
from triage.runtime.config import Settings
from triage.runtime.temporal_client import connect

# Starting the worker and the judge (models loaded) on a machine shared with other work.
STARTUP_TIMEOUT = 180.0


async def await_limit_decisions(client: Client, workflow_ids: list[str], timeout: float) -> bool:
    """Until each of the limit sender's workflows has its send decision (or is at rest)."""

    async def decided(workflow_id: str) -> bool:
        try:
            state = await get_state(client, workflow_id)
        except Exception:  # not started yet (the watcher has not seen it), or no worker
            return False
        return state.policy_decision is not None or state.status.is_terminal

    async def all_decided() -> bool:
        return all(await asyncio.gather(*(decided(w) for w in workflow_ids)))

    return await poll_until(all_decided, timeout=timeout)


async def chaos_phase(
    plan: ChaosPlan, client: Client, control: httpx.AsyncClient, script: FaultScript
) -> tuple[dict[int, InjectedEmail], Reviewers, bool, float]:
    """The limit sender's emails (decided before the first fault, so that exactly the
    limit goes out), then messages, faults and reviewers at once; returns when the
    stream and the script are done (with the seconds the limit sender's gate took)."""
    rng = random.Random(plan.seed)
    reviewers = Reviewers(client, random.Random(rng.random()), plan.review_interval)
    schedule = fault_schedule(plan, random.Random(rng.random()))
    limit, stream = plan_emails(plan, random.Random(rng.random()))
    injected: dict[int, InjectedEmail] = {}
    gate_began = asyncio.get_running_loop().time()
    await inject_messages(control, limit, injected, gate_began)
    limit_ids = [f"{WORKFLOW_ID_PREFIX}{injected[e.index].message_id}" for e in limit]
    gated = await await_limit_decisions(client, limit_ids, plan.limit_gate)
    gate_seconds = asyncio.get_running_loop().time() - gate_began
    stop = asyncio.Event()
    reviewing = asyncio.create_task(reviewers.run(stop))
    started = asyncio.get_running_loop().time()
    try:
        await asyncio.gather(
            inject_messages(control, stream, injected, started, reviewers.followed_up),
            script.run(schedule, started),
        )
    finally:
        stop.set()
        await reviewing
    return injected, reviewers, gated, gate_seconds


async def run_chaos(plan: ChaosPlan, *, keep_workdir: bool = False) -> ChaosReport:
    workdir = Path(tempfile.mkdtemp(prefix="triage-chaos-"))
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with AsyncExitStack() as stack:
        sim = await stack.enter_async_context(
            running_mailsim(workdir / "mail.db", ping_interval=1.0, seed=plan.seed)
        )
        llm = await stack.enter_async_context(fake_openai())
        control = await stack.enter_async_context(httpx.AsyncClient(base_url=sim.control_url, timeout=30))
        processes = ChildProcesses(workdir)
        stack.push_async_callback(processes.stop)
        await processes.temporal.serve()
        processes.env = child_env(processes.address, sim, llm, plan)
        processes.start_worker()
        processes.start_watcher()
        processes.start_watchdog()
        settings = Settings(temporal_address=processes.address, temporal_namespace="default")
        client = await connect(settings)
        # The catch-up would cover a miss, but be fair: messages go in once the watcher listens,
        # and the workers poll (the judge loads its models first: a minute on a loaded machine,
        # which the limit sender's gate would otherwise spend waiting for it).
        if not await wait_for_subscriber(sim.control_url, timeout=60.0):
            raise TimeoutError("the watcher did not connect to the emulator in 60 s")
        queues = {
            settings.temporal_task_queue: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            settings.judge_queue: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        }
        if not await wait_for_pollers(client, queues, timeout=STARTUP_TIMEOUT):
            raise TimeoutError(f"the worker and the judge did not poll in {STARTUP_TIMEOUT:.0f} s")
        script = FaultScript(processes, control, llm, plan)

        chaos_began = loop.time()
        injected, reviewers, gated, gate_seconds = await chaos_phase(plan, client, control, script)
        await script.mail_faults_off()
        settle_began = loop.time()
        emails = list(injected.values())  # in the order they were posted
        settled = await settle(client, {email.message_id for email in emails}, plan.settle_timeout)
        llm_unused = script.llm_faults_off()
        reconcile_began = loop.time()
        accounting = await reconcile(client, sim, control, emails)
        report = ChaosReport(
            plan=plan,
            accounting=accounting,
            faults=dict(script.injected),
            reviews=dict(sorted(reviewers.outcomes.items())),
            llm_faults_unused=llm_unused,
            unexpected_exits=processes.unexpected_exits,
            settled=settled,
            limit_decided_before_faults=gated,
            seconds={
                "start": chaos_began - began,
                "limit gate": gate_seconds,  # (part of the chaos phase)
                "chaos": settle_began - chaos_began,
                "settle": reconcile_began - settle_began,
                "reconcile": loop.time() - reconcile_began,
            },
            workdir=str(workdir),
        )
    if report.mismatches or keep_workdir:
        print(f"logs and databases kept in {workdir}", flush=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return report
