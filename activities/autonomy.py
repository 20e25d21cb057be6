"""Autonomy activities: read the mode in force, report a verdict.

Thin adapters over the inbox's AutonomyWorkflow (workflows/autonomy.py). The
mode is read through an activity, so a triage workflow's history records the
mode its policy read: a replay after a promotion decides as the first run did.
The worker's configuration (``TRIAGE_AUTONOMY`` and friends) travels with
every report, so the autonomy workflow always applies the rules in force.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from triage.domain import contracts
from triage.domain.autonomy import (
    AutonomyBook,
    AutonomySettings,
    AutonomyState,
    ModeLookup,
    VerdictReport,
    book_of_overrides,
    mode_in_force,
)
from triage.domain.models import ModeInForce


async def read_overrides(client: Client, task_queue: str, inbox_id: str) -> AutonomyBook | None:
    """The modes changes set in the inbox's autonomy workflow (its memo), or None before it exists.

    A Describe, which the server answers alone: a Query would be a workflow task on the
    one autonomy workflow for every message the policy would send.
    """
    handle = client.get_workflow_handle(contracts.autonomy_id(task_queue, inbox_id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    published = await description.memo_value(contracts.AUTONOMY_OVERRIDES_MEMO, {})
    return book_of_overrides({scope: ModeInForce.model_validate(mode) for scope, mode in published.items()})


async def report_to_autonomy(
    client: Client, task_queue: str, inbox_id: str, signal: str, payload: object
) -> None:
    """Signal-with-start: the first verdict of an inbox starts its autonomy workflow."""
    await client.start_workflow(
        contracts.AUTONOMY_WORKFLOW,
        AutonomyState(inbox_id=inbox_id),
        id=contracts.autonomy_id(task_queue, inbox_id),
        task_queue=task_queue,
        start_signal=signal,
        start_signal_args=[payload],
    )


class OverridesCache:
    """The inbox's overrides, read at most once per ``max_age`` seconds by this process.

    A burst of messages the policy would send cost one Describe each; now the lookups
    that arrive together share one (a lookup never waits for more than the Describe it
    joins), and a mode changed by a person or a promotion applies within ``max_age``.
    ``max_age`` 0: every lookup reads afresh (still coalesced with those in flight).
    """

    def __init__(
        self, client: Client, task_queue: str, max_age: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._max_age = max_age
        self._clock = clock  # a test's own clock: the age is then not how long a busy machine took
        self._read: dict[str, tuple[float, asyncio.Task[AutonomyBook | None]]] = {}  # by inbox

    async def get(self, inbox_id: str) -> AutonomyBook | None:
        now = self._clock()
        cached = self._read.get(inbox_id)
        if cached is not None:
            began, task = cached
            if not task.done() or (now - began <= self._max_age and task.exception() is None):
                return await asyncio.shield(task)
        task = asyncio.ensure_future(read_overrides(self._client, self._task_queue, inbox_id))
        self._read[inbox_id] = (now, task)
        return await asyncio.shield(task)


# Verdicts per Signal at most: a report is about 1 KB, a Signal's payload stays far below the limits.
MAX_VERDICTS_PER_SIGNAL = 200


class VerdictBatches:
    """Report verdicts together: at most one Signal in flight per inbox from this process.

    The first verdict goes at once; those that arrive while its Signal is in flight
    go together in the next one. A report returns only once its Signal was accepted,
    so a verdict is never lost by a crash, and a failed Signal fails every report in
    it (their activities retry); the autonomy workflow counts a workflow's verdict once.
    """

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue
        self._waiting: dict[str, list[tuple[VerdictReport, asyncio.Future[None]]]] = {}
        self._senders: dict[str, asyncio.Task[None]] = {}  # by inbox: drains its waiting list

    async def report(self, report: VerdictReport) -> None:
        accepted = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(report.inbox_id, []).append((report, accepted))
        if report.inbox_id not in self._senders:
            self._senders[report.inbox_id] = asyncio.create_task(self._send_all(report.inbox_id))
        await asyncio.shield(accepted)

    async def _send_all(self, inbox_id: str) -> None:
        try:
            while waiting := self._waiting.get(inbox_id):
                batch, self._waiting[inbox_id] = (
                    waiting[:MAX_VERDICTS_PER_SIGNAL],
                    waiting[MAX_VERDICTS_PER_SIGNAL:],
                )
                try:
                    await report_to_autonomy(
                        self._client,
                        self._task_queue,
                        inbox_id,
                        contracts.AUTONOMY_VERDICTS,
                        [r for r, _ in batch],
                    )
                except Exception as err:  # every report in the batch fails: its activity retries
                    for _, accepted in batch:
                        if not accepted.done():
                            accepted.set_exception(err)
                else:
                    for _, accepted in batch:
                        if not accepted.done():
                            accepted.set_result(None)
        finally:
            del self._senders[inbox_id]
            for _, accepted in self._waiting.pop(inbox_id, []):  # empty unless the loop is shutting down
                if not accepted.done():
                    accepted.set_exception(RuntimeError("verdict not reported: its sender stopped"))


class AutonomyActivities:
    def __init__(
        self, client: Client, task_queue: str, settings: AutonomySettings, mode_max_age: float = 0.0
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._settings = settings
        self._overrides = OverridesCache(client, task_queue, mode_max_age)
        self._verdicts = VerdictBatches(client, task_queue)

    @activity.defn
    async def read_mode(self, lookup: ModeLookup) -> ModeInForce:
        book = await self._overrides.get(lookup.inbox_id)
        return mode_in_force(book, self._settings, lookup.category, lookup.article_id)

    @activity.defn
    async def report_verdict(self, report: VerdictReport) -> None:
        await self._verdicts.report(report.model_copy(update={"settings": self._settings}))
