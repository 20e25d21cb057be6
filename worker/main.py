"""The workflow worker: the workflows and their I/O activities (mail, conversations,
autonomy, notifications) on the task queue, and the coordination worker beside it.

It holds no model: classifying, drafting and retraining run in the judge worker
(worker/judge.py) on a queue of its own, so this process stays small and its
workflow tasks never wait on judging for the GIL.

The coordination worker (same process, its own queue and slots) runs the
conversations and sender counters and the activities that ask other workflows
(join a conversation, reserve an automatic reply, report a verdict): their
Updates never wait behind a burst of triage workflow tasks, and a triage
workflow task never stays open while they answer (docs/performance.md,
"The burst: nothing waits inside a workflow task").
"""

from __future__ import annotations

import asyncio
import logging
import py_compile
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.auto_reply import AutoReplyActivities
from activities.autonomy import AutonomyActivities, report_to_autonomy
from activities.conversation import ConversationActivities
from activities.mail import MailActivities
from activities.notify import NotifyActivities
from activities.review_draft import ReviewDraftActivities
from triage.domain.contracts import AUTONOMY_CONFIGURE
from triage.mail.factory import build_mail_provider
from triage.mail.provider import MailProvider
from triage.runtime.config import Settings
from triage.runtime.reachable import connect_when_reachable, watching_reachability
from workflows.autonomy import AutonomyWorkflow
from workflows.conversation import AutoReplyCounterWorkflow, ConversationWorkflow
from workflows.retrain import RetrainWorkflow
from workflows.triage import SupportTriageWorkflow

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (
    SupportTriageWorkflow,
    ConversationWorkflow,
    AutoReplyCounterWorkflow,
    AutonomyWorkflow,
    RetrainWorkflow,
)


# On the coordination queue (as well: runs started before it, and their continuations,
# keep the workflow task queue until they end).
COORDINATION_WORKFLOWS: Sequence[type] = (ConversationWorkflow, AutoReplyCounterWorkflow)


@dataclass(frozen=True)
class Coordination:
    """The activities that ask other workflows, one of each per process: one bounds the
    Updates this process keeps in flight on a counter, the other batches its verdicts."""

    conversation: ConversationActivities
    autonomy: AutonomyActivities

    @classmethod
    def of(cls, client: Client, settings: Settings) -> Coordination:
        queue = settings.temporal_task_queue
        return cls(
            ConversationActivities(client, queue, settings.coordination_queue),
            AutonomyActivities(
                client, queue, settings.autonomy_settings(), settings.autonomy_mode_max_age.total_seconds()
            ),
        )

    def activities(self) -> list[Callable[..., Any]]:
        """The coordination queue's (``CoordinationActivity``)."""
        return [
            self.conversation.join_conversation,
            self.conversation.reserve_auto_reply,
            self.autonomy.report_verdict,
        ]


def activity_functions(
    settings: Settings,
    *,
    mail: MailProvider,
    http: httpx.AsyncClient,
    webhook_url: str | None,
    coordination: Coordination,
) -> list[Callable[..., Any]]:
    """The workflows' activities on this queue (judging is the judge worker's), bound to this process's clients.

    The coordination activities are here too: runs started before the coordination queue
    call them as local activities. ``coordination`` is the process's one (the coordination
    worker's too): a second would bound its own Updates and batch its own verdicts.
    """
    mail_activities = MailActivities(mail)
    notify = NotifyActivities(http, webhook_url, settings.public_url)
    auto_reply = AutoReplyActivities(mail_activities, coordination.conversation, coordination.autonomy)
    return [
        auto_reply.reply_alone,
        ReviewDraftActivities(mail_activities, notify).save_for_review,
        mail_activities.save_draft,
        mail_activities.send_draft,
        mail_activities.discard_draft,
        mail_activities.thread_history,
        notify.notify_reviewer,
        notify.notify_mode_change,
        coordination.autonomy.read_mode,
        *coordination.activities(),
    ]


def cache_workflow_bytecode(workflows: Sequence[type]) -> None:
    """Write the workflow modules' .pyc when the interpreter would not.

    Unless they are shared (``workflow_runner``), the sandbox imports a
    workflow's module afresh for every run and every replay. Without a .pyc
    (PYTHONDONTWRITEBYTECODE=1, common in container images) each of those
    compiles workflows/triage.py and the modules beside it again: about 4 ms
    of the worker's CPU per workflow, the sandbox's largest single cost.
    """
    if not sys.dont_write_bytecode:
        return
    sources: set[Path] = set()
    for name in {workflow.__module__ for workflow in workflows}:
        if source := getattr(sys.modules[name], "__file__", None):
            # The modules beside it (the review's state, the activity calls...) are imported afresh too.
            sources |= set(Path(source).parent.glob("*.py"))
    for source in sorted(sources):
        try:
            py_compile.compile(str(source), doraise=True)
        except (OSError, py_compile.PyCompileError) as err:
            log.info("cannot cache the bytecode of %s: %s", source, err)


def workflow_runner(settings: Settings, workflows: Sequence[type] = WORKFLOWS) -> WorkflowRunner:
    """Plain code of the worker, unless ``workflow_sandbox``: then Temporal's sandbox, through
    which, with ``share_workflow_modules``, the workflows' packages pass.

    By default the sandbox imports a workflow's module, and every module of the
    project it imports, afresh for each run it holds: a cached review kept its
    own copy of ``workflows.triage`` and the modules beside it (~115 KB, and
    ~3-20 ms of CPU for each new run or replay). These modules are orchestration
    only and keep no state of their own (constants, classes, functions), so one
    import serves every run. What sharing gives up: the sandbox no longer
    proxies the standard library for code in these modules, so a forbidden call
    there (``datetime.now()``, ``random``) is not refused at run time. With
    every module of ours passed through, the sandbox still refuses ``open()``,
    ``input()`` and ``breakpoint()``, for ~40% of a replay's CPU (it compiles
    and runs code in its namespace for each activation and each payload), so
    by default workflows run unsandboxed. The replay tests run the saved
    histories in the full sandbox as well (``tests/test_replay.py``).
    """
    if not settings.workflow_sandbox:
        return UnsandboxedWorkflowRunner()
    restrictions = SandboxRestrictions.default
    if settings.share_workflow_modules:
        packages = {workflow.__module__.split(".")[0] for workflow in workflows}
        restrictions = restrictions.with_passthrough_modules(*sorted(packages))
    return SandboxedWorkflowRunner(restrictions=restrictions)


def worker_options(settings: Settings) -> dict[str, Any]:
    """Concurrency and caching; the benchmarks' floor workers use the same options."""
    return {
        "max_concurrent_activities": settings.max_concurrent_activities,
        "max_concurrent_workflow_tasks": settings.max_concurrent_workflow_tasks,
        "max_cached_workflows": settings.max_cached_workflows,
        "sticky_queue_schedule_to_start_timeout": settings.sticky_queue_timeout,
    }


def build_coordination_worker(client: Client, settings: Settings, coordination: Coordination) -> Worker:
    """The conversations and counters, and the activities that ask them, on their own queue."""
    return Worker(
        client,
        task_queue=settings.coordination_queue,
        workflows=list(COORDINATION_WORKFLOWS),
        activities=coordination.activities(),
        workflow_runner=workflow_runner(settings, COORDINATION_WORKFLOWS),
        **worker_options(settings),
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


@asynccontextmanager
async def workflow_workers(
    client: Client,
    settings: Settings,
    *,
    mail: MailProvider,
    http: httpx.AsyncClient,
    webhook_url: str | None = None,
) -> AsyncIterator[Worker]:
    """The workflow worker and the coordination worker, running; yields the workflow worker."""
    if (
        settings.workflow_sandbox and not settings.share_workflow_modules
    ):  # else imported once, with the worker
        cache_workflow_bytecode(WORKFLOWS)
    coordination = Coordination.of(client, settings)
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activity_functions(
            settings, mail=mail, http=http, webhook_url=webhook_url, coordination=coordination
        ),
        workflow_runner=workflow_runner(settings),
        **worker_options(settings),
        # In-flight activities get this long to finish on SIGTERM before
        # they are cancelled and retried on another worker.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
    async with worker, build_coordination_worker(client, settings, coordination):
        yield worker


async def announce_autonomy_settings(client: Client, settings: Settings) -> None:
    """Tell the inbox's autonomy workflow the modes this worker applies (the CLI and dashboard show them)."""
    try:
        await report_to_autonomy(
            client,
            settings.temporal_task_queue,
            settings.inbox_id,
            AUTONOMY_CONFIGURE,
            settings.autonomy_settings(),
        )
    except RPCError as err:
        log.warning("autonomy settings not announced: %s", err.message)


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    async with AsyncExitStack() as stack:
        client = await connect_when_reachable(settings, serve_metrics=True)
        mail = await stack.enter_async_context(build_mail_provider(settings))
        http = await stack.enter_async_context(httpx.AsyncClient())
        webhook = settings.slack_webhook_url.get_secret_value() if settings.slack_webhook_url else None
        log.info(
            "workflow worker on %s / %s, task queue %s (coordination on %s, judging on %s)",
            settings.temporal_address,
            settings.temporal_namespace,
            settings.temporal_task_queue,
            settings.coordination_queue,
            settings.judge_queue,
        )
        async with (
            workflow_workers(client, settings, mail=mail, http=http, webhook_url=webhook),
            watching_reachability(client, settings.temporal_address),
        ):
            await announce_autonomy_settings(client, settings)
            await (stop or asyncio.Event()).wait()
