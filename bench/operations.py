"""Temporal work per message, counted: what each kind of message costs the server.

    python -m bench.operations [--json FILE]

Each kind of message runs on a fresh task queue (so the inbox's autonomy and
counter workflows are its own) through the real workflow and judge workers
(in this process, the offline model) on a dev server of its own. Counted:
the client calls every process makes (starts, Signals, Updates, Describes,
Queries: a client interceptor on the one client the workers, the starter and
the reviewer share) and, from the histories of every workflow of the queue,
the workflow tasks, activities (by queue), local activities, Signals and
Updates received, and visibility writes (start, search-attribute and memo
upserts, close). For a follow-up and a closing message, only the events and
calls after the thread's first message settled are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
)

from bench.harness import bench_settings
from bench.processes import dev_server, mailsim_process
from starter.review import decide_current, get_state
from starter.start import start_triage
from triage.domain.models import InboundMessage, ReviewAction, TriageResult, TriageStatus
from triage.judging.offline import OfflineProvider
from triage.mail.factory import build_mail_provider
from triage.runtime.config import Settings
from worker.judge import build_judge_worker
from worker.main import workflow_workers

PASSWORD = (
    "How do I reset my password?",
    "Hi,\n\nI forgot my password and can't log in. How do I reset it?\n\nThanks,\nMaya",
)
BILLING = (
    "Charged after cancelling",
    "Hi,\n\nI cancelled my subscription last month, but you charged me again. Please refund it.\n\nRosa",
)
FOLLOW_UP = "Also: my invoice shows the wrong company name. Can you fix that as well?"
CLOSING = "Thanks, that worked!"
VISIBILITY = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
}
COLUMNS = (
    "workflows touched",
    "workflow tasks",
    "activities (workflow queue)",
    "activities (judge queue)",
    "activities (coordination queue)",
    "local activities",
    "Signals",
    "Updates",
    "Describes",
    "Queries",
    "starts",
    "visibility writes",
)


def _counted(method: str, *kinds: str) -> Any:
    """A client call that adds one to each of ``kinds``, then makes the call."""

    async def call(self: CallCounter, input: Any) -> Any:
        self.calls.update(kinds)
        return await getattr(self.next, method)(input)

    return call


class CallCounter(OutboundInterceptor):
    """Counts each client call by kind, then makes it."""

    def __init__(self, next: OutboundInterceptor, calls: Counter[str]) -> None:
        super().__init__(next)
        self.calls = calls

    async def start_workflow(self, input: StartWorkflowInput):
        self.calls["starts"] += 1
        self.calls["Signals"] += bool(input.start_signal)
        return await super().start_workflow(input)

    signal_workflow = _counted("signal_workflow", "Signals")
    start_workflow_update = _counted("start_workflow_update", "Updates")
    start_update_with_start_workflow = _counted("start_update_with_start_workflow", "Updates", "starts")
    describe_workflow = _counted("describe_workflow", "Describes")
    query_workflow = _counted("query_workflow", "Queries")


class CountingCalls(Interceptor):
    """Every client call the workers, the starter and the reviewer make, by kind."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return CallCounter(next, self.calls)


async def history_counts(client: Client, settings: Settings) -> dict[str, Counter[str]]:
    """Per workflow (id and run) of the queue: its events, by what they cost."""
    counts: dict[str, Counter[str]] = {}
    queues = (settings.temporal_task_queue, settings.coordination_queue)
    by_queue = {settings.judge_queue: "judge", settings.coordination_queue: "coordination"}
    async for execution in client.list_workflows(" OR ".join(f"TaskQueue = '{q}'" for q in queues)):
        events: Counter[str] = Counter()
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        async for event in handle.fetch_history_events():
            kind = event.event_type
            events["events"] += 1
            events["workflow tasks"] += kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            events["visibility writes"] += kind in VISIBILITY
            events["local activities"] += (
                kind == EventType.EVENT_TYPE_MARKER_RECORDED
                and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
            )
            if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                queue = event.activity_task_scheduled_event_attributes.task_queue.name
                events[f"activities ({by_queue.get(queue, 'workflow')} queue)"] += 1
            events["Signals received"] += kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
            events["Updates received"] += kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        counts[f"{execution.id}/{execution.run_id}"] = events
    return counts


def difference(
    after: dict[str, Counter[str]], before: dict[str, Counter[str]], calls: Counter[str]
) -> dict[str, int]:
    row: Counter[str] = Counter()
    touched = {key.partition("/")[0] for key, events in after.items() if events != before.get(key, Counter())}
    for key, events in after.items():
        row.update(events - before.get(key, Counter()))
    row["workflows touched"] = len(touched)  # for a burst, also divided by the messages
    row.update(calls)
    return {column: row[column] for column in (*COLUMNS, "Signals received", "Updates received", "events")}


class Inbox:
    """One kind of message's fresh queue and mail; ``client`` is counted, ``watching`` (this tool's polling) is not."""

    def __init__(
        self, client: Client, watching: Client, settings: Settings, control: httpx.AsyncClient
    ) -> None:
        self.client, self.watching, self.settings, self.control = client, watching, settings, control

    async def message(
        self, subject: str, body: str, sender: str, thread_id: str | None = None
    ) -> InboundMessage:
        fields = {
            "from": sender,
            "subject": subject,
            "plain_body": body,
            **({"thread_id": thread_id} if thread_id else {}),
        }
        created = (await self.control.post("/_sim/inbound", json=fields)).json()
        async with build_mail_provider(self.settings) as mail:
            return await mail.get_message(self.settings.inbox_id, created["message_id"])

    async def triage(self, message: InboundMessage) -> str:
        handle = await start_triage(
            self.client,
            message,
            task_queue=self.settings.temporal_task_queue,
            policy=self.settings.policy_settings(),
            review=self.settings.review_settings(),
        )
        assert handle is not None
        return handle.id

    async def settled(self, workflow_id: str) -> TriageStatus:
        while True:
            status = (await get_state(self.watching, workflow_id)).status
            if status is TriageStatus.AWAITING_REVIEW or status.is_terminal:
                return status
            await asyncio.sleep(0.2)

    async def closed(self, workflow_id: str) -> TriageStatus:
        return (
            await self.watching.get_workflow_handle(workflow_id, result_type=TriageResult).result()
        ).status


async def _closed(inbox: Inbox, message: InboundMessage) -> TriageStatus:
    return await inbox.closed(await inbox.triage(message))


async def review_then_approve(inbox: Inbox) -> TriageStatus:
    workflow_id = await inbox.triage(await inbox.message(*BILLING, sender="Rosa <rosa@example.org>"))
    assert await inbox.settled(workflow_id) is TriageStatus.AWAITING_REVIEW
    await decide_current(inbox.client, workflow_id, ReviewAction.APPROVE, "alice")
    return await inbox.closed(workflow_id)


# "10 at once": ten routine messages (ten senders) started together, the counts divided by ten.
BURST = 10
KINDS = (
    "routine, sent alone",
    f"routine, {BURST} at once (each)",
    "review, then approve",
    "follow-up",
    "closing",
)


async def measure_kind(
    kind: str, client: Client, settings: Settings, control: httpx.AsyncClient
) -> dict[str, Any]:
    counter = CountingCalls()
    config = client.config()  # a copy: changing it leaves ``client`` alone
    config["interceptors"] = [counter]
    counted = Client(**config)
    inbox = Inbox(counted, client, settings, control)
    async with AsyncExitStack() as stack:
        mail = await stack.enter_async_context(build_mail_provider(settings))
        http = await stack.enter_async_context(httpx.AsyncClient())
        await stack.enter_async_context(workflow_workers(counted, settings, mail=mail, http=http))
        await stack.enter_async_context(build_judge_worker(counted, settings, OfflineProvider()))
        # What happens before the counted message (the thread's first one, the previous routine message).
        sender = "Rosa <rosa@example.org>"
        if kind == "follow-up":
            first = await inbox.message(*BILLING, sender=sender)
            assert await inbox.settled(await inbox.triage(first)) is TriageStatus.AWAITING_REVIEW
        elif kind == "closing":
            first = await inbox.message(*PASSWORD, sender=sender)
            outcome = await inbox.closed(await inbox.triage(first))
            assert outcome is TriageStatus.AUTO_SENT, outcome
        before = await history_counts(client, settings)
        counter.calls.clear()
        each = 1
        if kind == "routine, sent alone":
            outcome = await _closed(inbox, await inbox.message(*PASSWORD, sender="Maya <maya@example.org>"))
        elif kind.startswith("routine"):
            each = BURST
            messages = [
                await inbox.message(*PASSWORD, sender=f"Maya {n} <maya{n}@example.org>") for n in range(BURST)
            ]
            counter.calls.clear()
            outcomes = set(await asyncio.gather(*(_closed(inbox, m) for m in messages)))
            assert len(outcomes) == 1, outcomes
            outcome = outcomes.pop()
        elif kind == "review, then approve":
            outcome = await review_then_approve(inbox)
        else:
            reply = await inbox.message(
                f"Re: {first.subject}",
                FOLLOW_UP if kind == "follow-up" else CLOSING,
                sender=sender,
                thread_id=first.thread_id,
            )
            outcome = await inbox.settled(await inbox.triage(reply))
            await asyncio.sleep(1.0)  # the first message's workflow closes (superseded) in its own time
        await asyncio.sleep(1.0)  # verdicts and notifications that follow the close
        calls = Counter(counter.calls)
    after = await history_counts(client, settings)
    counts = difference(after, before, calls)
    return {"kind": kind, "outcome": outcome.value, **{k: round(v / each, 1) for k, v in counts.items()}}


async def run() -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            dev_server(Path(tmp)) as (_, client),
            mailsim_process(Path(tmp)) as sim,
            httpx.AsyncClient(base_url=sim.control_url, timeout=30) as control,
        ):
            for kind in KINDS:
                settings = bench_settings(
                    sim, provider="offline", temporal_task_queue=f"ops-{uuid.uuid4().hex[:6]}"
                )
                rows.append(await measure_kind(kind, client, settings, control))
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print("| per message | " + " | ".join(r["kind"] for r in rows) + " |")
    print("|---" * (len(rows) + 1) + "|")
    for column in (*COLUMNS, "events"):
        print(f"| {column} | " + " | ".join(str(r[column]) for r in rows) + " |")
    print("| outcome | " + " | ".join(r["outcome"] for r in rows) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = asyncio.run(run())
    print_rows(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
