"""The inbox watcher against the emulator's real socket, with faults injected."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
import websockets

from starter.watcher import InboxWatcher
from tests.conftest import inbound, make_settings, running_worker
from tests.helpers import answered_exactly_once, running_watcher, wait_for_workflows, workflow_ids
from triage.domain.contracts import workflow_id_for
from triage.domain.models import InboundMessage
from triage.mail.errors import MailUnreachable
from triage.mail.factory import build_mail_provider


async def test_each_message_starts_one_workflow(dev_env, settings, control):
    async with running_watcher(dev_env.client, settings) as watcher:
        created = [await inbound(control, subject=f"q{i}") for i in range(5)]
        expected = {workflow_id_for(c["message_id"]) for c in created}
        ids = await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
    assert sorted(ids) == sorted(expected)
    assert watcher.stats.started == 5


async def test_socket_drops_mid_stream_lose_nothing(dev_env, settings, control):
    async with running_watcher(dev_env.client, settings) as watcher:
        created = []
        for i in range(12):
            created.append(await inbound(control, subject=f"burst {i}"))
            if i in (3, 8):
                await control.post("/_sim/faults", json={"drop_sockets": True})
        expected = {workflow_id_for(c["message_id"]) for c in created}
        ids = await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
    assert sorted(ids) == sorted(expected)  # each exactly once
    assert watcher.stats.connects >= 2


async def test_duplicate_events_start_nothing_new(dev_env, settings, control):
    await control.post("/_sim/faults", json={"duplicate_probability": 1.0})
    async with running_watcher(dev_env.client, settings) as watcher:
        created = [await inbound(control, subject=f"dup {i}") for i in range(3)]
        expected = {workflow_id_for(c["message_id"]) for c in created}
        ids = await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
        await asyncio.sleep(0.5)
    assert len(ids) == 3
    assert watcher.stats.duplicates >= 3


async def test_half_open_socket_is_detected_and_caught_up(dev_env, mailsim, task_queue, control):
    settings = make_settings(mailsim, task_queue, watch_idle_timeout_seconds=1.5)
    async with running_watcher(dev_env.client, settings) as watcher:
        await control.post("/_sim/faults", json={"half_open": True})
        lost_on_socket = await inbound(control, subject="sent while half-open")
        await asyncio.sleep(2.0)
        await control.post("/_sim/faults", json={"half_open": False})
        expected = {workflow_id_for(lost_on_socket["message_id"])}
        await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
    assert watcher.stats.connects >= 2


async def test_catch_up_after_downtime(dev_env, settings, control):
    created = [await inbound(control, subject=f"while away {i}") for i in range(4)]
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = {workflow_id_for(c["message_id"]) for c in created}
        await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
    assert watcher.stats.catchups >= 1


async def test_own_mail_and_auto_replies_are_skipped(dev_env, settings, control, mailsim):
    async with running_watcher(dev_env.client, settings) as watcher:
        await inbound(control, **{"from": mailsim.inbox_email, "subject": "loop"})
        await inbound(control, subject="Automatic reply: out until Monday")
        real = await inbound(control, subject="real question")
        await wait_for_workflows(
            dev_env.client, settings.temporal_task_queue, {workflow_id_for(real["message_id"])}
        )
    assert await workflow_ids(dev_env.client, settings.temporal_task_queue) == [
        workflow_id_for(real["message_id"])
    ]
    assert watcher.stats.skipped == 2


async def test_rest_failures_during_catch_up_are_retried(dev_env, settings, control):
    created = [await inbound(control, subject=f"flaky {i}") for i in range(3)]
    await control.post("/_sim/faults", json={"rest_failure_rate": 1.0, "rest_failure_status": 500})
    stop = asyncio.Event()
    async with build_mail_provider(settings) as mail:
        watcher = InboxWatcher(dev_env.client, mail, settings)
        task = asyncio.create_task(watcher.run(stop))
        await asyncio.sleep(1.5)
        assert not watcher.ready.is_set()
        await control.delete("/_sim/faults")
        expected = {workflow_id_for(c["message_id"]) for c in created}
        await wait_for_workflows(dev_env.client, settings.temporal_task_queue, expected)
        stop.set()
        await asyncio.wait_for(task, 15)
    assert watcher.stats.catchups >= 2


async def test_two_watchers_start_each_workflow_once_and_reply_once(dev_env, settings, control):
    async with (
        running_worker(dev_env.client, settings),
        running_watcher(dev_env.client, settings),
        running_watcher(dev_env.client, settings),
    ):
        await answered_exactly_once(dev_env.client, settings, control, 6, timeout=30)


async def test_malformed_frames_do_not_stop_the_watcher(dev_env, settings, control, mailsim):
    """A hostile peer sends garbage between valid frames; the event still lands."""
    garbage = [
        "not json",
        "[]",
        '{"type": "event"}',
        '{"type": "event", "event_type": "message.received", "message": {}}',
        "\x00" * 10,
    ]

    async def server(ws):
        await ws.send(
            json.dumps({"type": "connected", "inboxId": mailsim.inbox_id, "email": mailsim.inbox_email})
        )
        await ws.recv()  # subscribe
        await ws.send(
            json.dumps(
                {"type": "subscribed", "event_types": ["message.received"], "inbox_ids": [mailsim.inbox_id]}
            )
        )
        for frame in garbage:
            await ws.send(frame)
        await ws.send(json.dumps(event))
        # Open until the watcher hangs up: a fixed sleep here held the server's close for its whole length.
        await ws.wait_closed()

    created = await inbound(control, subject="behind garbage")
    event = {
        "type": "event",
        "event_type": "message.received",
        "event_id": "evt_x",
        "message": {
            "inbox_id": mailsim.inbox_id,
            "message_id": created["message_id"],
            "thread_id": created["thread_id"],
            "from": "ann@example.org",
            "to": [],
            "subject": "behind garbage",
            "plain_body": "hi",
            "html_body": None,
            "timestamp": "2026-11-23T10:00:00Z",
        },
    }
    async with websockets.serve(server, "127.0.0.1", 0) as hostile:
        port = hostile.sockets[0].getsockname()[1]
        hostile_settings = settings.model_copy(update={"mail_ws_url": f"ws://127.0.0.1:{port}"})
        # Catch-up would find the message too; make REST useless so only the socket can.
        await control.post("/_sim/faults", json={"rest_failure_rate": 1.0, "rest_failure_status": 500})
        stop = asyncio.Event()
        async with build_mail_provider(hostile_settings) as mail:
            watcher = InboxWatcher(dev_env.client, mail, hostile_settings)
            task = asyncio.create_task(watcher.run(stop))
            await wait_for_workflows(
                dev_env.client, settings.temporal_task_queue, {workflow_id_for(created["message_id"])}
            )
            stop.set()
            await asyncio.wait_for(task, 15)
        await control.delete("/_sim/faults")
    assert watcher.stats.bad_frames == len(garbage)


def listed_pages(inbox_id: str) -> Callable[[str, int], list[InboundMessage]]:
    """Pages of a listing: ``page(kind, count)`` is ``count`` messages with new ids, named after ``kind``."""
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)

    def page(kind: str, count: int) -> list[InboundMessage]:
        return [
            InboundMessage(
                message_id=f"msg_{kind}{i}_{run}",
                inbox_id=inbox_id,
                from_address="c@example.org",
                subject=kind,
                received_at=now,
            )
            for i in range(count)
        ]

    return page


class BurstDuringCatchUp:
    """The listing (newest first) while the subscription delivers a page's worth of new mail."""

    def __init__(self, inbox_id: str, *, burst: int, missed: int, old: int) -> None:
        page = listed_pages(inbox_id)
        self.inbox_id = inbox_id
        self.burst, self.missed, self.old = page("burst", burst), page("missed", missed), page("old", old)
        self.watcher: InboxWatcher | None = None

    async def inbound_pages(self, inbox_id: str, **_paging) -> AsyncIterator[list[InboundMessage]]:
        assert self.watcher is not None
        for message in self.burst:  # delivered by the subscription while page 1 is fetched
            await self.watcher._on_message(message)
        yield self.burst
        yield self.missed  # arrived while the watcher was down
        yield self.old  # handled before the outage


async def test_a_burst_on_the_socket_does_not_end_the_catch_up_early(dev_env, settings):
    listing = BurstDuringCatchUp(settings.inbox_id, burst=3, missed=2, old=2)
    watcher = InboxWatcher(dev_env.client, listing, settings)
    listing.watcher = watcher
    for message in listing.old:
        await watcher._on_message(message)

    await watcher.catch_up()

    missed = {workflow_id_for(m.message_id) for m in listing.missed}
    ids = await wait_for_workflows(dev_env.client, settings.temporal_task_queue, missed, timeout=10)
    assert len(ids) == 7  # old, burst and missed: each once


class CutShortCatchUp:
    """A first listing that dies after its newest page; new mail arrives on the next subscription."""

    def __init__(self, inbox_id: str) -> None:
        page = listed_pages(inbox_id)
        self.newest, self.older, self.later = page("newest", 3), page("older", 3), page("later", 3)
        self.listings = 0

    async def inbound_pages(self, inbox_id: str, **_paging) -> AsyncIterator[list[InboundMessage]]:
        self.listings += 1
        if self.listings == 1:
            yield self.newest
            raise MailUnreachable("the session died in the middle of the catch-up")
        yield self.later
        yield self.newest
        yield self.older


async def test_a_catch_up_cut_short_is_finished_by_the_next_one(dev_env, settings):
    listing = CutShortCatchUp(settings.inbox_id)
    watcher = InboxWatcher(dev_env.client, listing, settings)
    with pytest.raises(MailUnreachable):
        await watcher.catch_up()
    for message in listing.newest + listing.later:  # what the next subscription delivers is seen
        await watcher._on_message(message)

    await watcher.catch_up()  # a page of seen mail first: it must read on, the last one was cut short

    older = {workflow_id_for(m.message_id) for m in listing.older}
    ids = await wait_for_workflows(dev_env.client, settings.temporal_task_queue, older, timeout=10)
    assert len(ids) == 9


async def test_a_cancelled_watcher_leaves_no_session_behind(dev_env, settings):
    """Ctrl-C cancels ``run`` itself: its inbox session must end with it, not later on its own
    (when the emulator then closes the socket, asyncio.run printed the orphan's traceback)."""
    async with build_mail_provider(settings) as mail:
        watcher = InboxWatcher(dev_env.client, mail, settings)
        running = asyncio.create_task(watcher.run())
        async with asyncio.timeout(15):
            await watcher.ready.wait()
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        left = [t for t in asyncio.all_tasks() if "InboxWatcher" in repr(t.get_coro())]
    assert left == []
