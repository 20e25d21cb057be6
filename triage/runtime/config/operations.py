"""Operations settings: metrics, worker capacity, judge processes and the watcher's patience."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from triage.runtime.config.fields import env_var


class OperationsSettings(BaseModel):
    # Observability
    metrics_port: int | None = Field(
        None,
        description="a worker's Prometheus metrics port (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_METRICS_PORT"),
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="the metrics endpoint's address",
        validation_alias=env_var("TRIAGE_METRICS_HOST"),
    )

    # Worker
    max_concurrent_activities: int = Field(
        100,
        ge=1,
        description="activities a worker runs at once (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_MAX_CONCURRENT_ACTIVITIES"),
    )
    # Workflow tasks a worker runs at once (each of its two queues): they share one GIL, so
    # ten at a time each finish fast, where the SDK's 100 interleaved each took seconds in a
    # burst (docs/performance.md). The rest wait in the server's queue, not in a task.
    max_concurrent_workflow_tasks: int = Field(
        10,
        ge=2,
        description="workflow tasks a worker runs at once (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_MAX_CONCURRENT_WORKFLOW_TASKS"),
    )
    # Reviews wait for hours: each cached one costs ~0.2 MB (the SDK caches 1,000), and
    # the worker's RSS drifts up a little past a full cache: 250 keep a worker with
    # 10,000 pending reviews under 200 MB (docs/performance.md). An evicted review
    # replays its short history (~33 events) when a decision arrives.
    max_cached_workflows: int = Field(
        250,
        ge=0,
        description="workflows a worker keeps in memory (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_MAX_CACHED_WORKFLOWS"),
    )
    # How long a workflow task may wait on a worker's own (sticky) queue before the server hands
    # it to the normal queue, where a worker replays the run from its first event. The SDK's 10 s
    # is shorter than a burst's backlog: 500 messages at once re-routed hundreds of tasks, each a
    # replay that made the backlog longer (docs/performance.md, "The burst"). The price is paid
    # after a crash only (a clean stop tells the server, and once no poll has come for 10 s new
    # tasks go to the normal queue): tasks already on the dead worker's queue wait this long.
    sticky_queue_timeout: timedelta = Field(
        timedelta(seconds=60),
        ge=timedelta(seconds=1),
        le=timedelta(minutes=10),
        description="how long a workflow task waits for the worker that holds its run before any "
        "worker takes it (after a worker crash, its runs wait this long)",
        validation_alias=env_var("TRIAGE_STICKY_QUEUE_TIMEOUT"),
    )
    # Temporal's sandbox imports a workflow's modules afresh for every run it holds (and every
    # replay): ~115 KB of module objects per cached workflow and the worker's largest CPU cost
    # per run. The workflows package keeps no state in its modules, so one import can serve all.
    share_workflow_modules: bool = Field(
        True,
        description="import the workflows package once for every workflow run (off: the sandbox "
        "imports it afresh for each run, as Temporal does by default)",
        validation_alias=env_var("TRIAGE_SHARE_WORKFLOW_MODULES"),
    )

    # With every module of ours passed through (above), the sandbox refuses only open(), input()
    # and breakpoint() at run time, and costs ~40% of a replay's CPU: it compiles and runs code
    # in its namespace for every activation and for every payload of it (docs/performance.md,
    # "Restart"). Off, workflows run as plain code of the worker; the replay tests still run
    # every saved history in the full sandbox, which refuses every forbidden call.
    workflow_sandbox: bool = Field(
        False,
        description="run workflows in Temporal's sandbox (off: as plain code of the worker; "
        "the replay tests run them in the full sandbox either way)",
        validation_alias=env_var("TRIAGE_WORKFLOW_SANDBOX"),
    )

    # Judge workers `triage up` starts (worker/judge.py): each takes at most one core.
    judge_processes: int = Field(
        1,
        ge=1,
        le=64,
        description="judge worker processes `triage up` starts (one per core)",
        validation_alias=env_var("TRIAGE_JUDGE_PROCESSES"),
    )

    # Watcher
    watch_idle_timeout_seconds: float = Field(
        45.0,
        gt=0,
        description="seconds without a frame before the socket counts as half-open",
        validation_alias=env_var("TRIAGE_WATCH_IDLE_TIMEOUT"),
    )
    catchup_max_pages: int = Field(
        50,
        ge=1,
        description="pages of the inbox the watcher reads to catch up on missed mail",
        validation_alias=env_var("TRIAGE_CATCHUP_MAX_PAGES"),
    )
