"""Joins, reservations and verdicts run on the coordination queue: activities, not local activities.

A local activity keeps its triage workflow's task open (and a worker slot taken)
until it returns, and a join or a reservation waits for an Update on a
conversation or a counter (a verdict, for its batch's Signal). As activities of the coordination worker, beside the
conversations and counters on their own queue, the triage workflow task ends at
once and their Updates never wait behind triage workflow tasks. Histories of both
paths replay (``tests/test_replay.py``): ``*_coordination`` written here (the reply's
by the code before the lean path), ``*_local`` by the code before the
``coordination-activities`` gate.
"""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory

from bench.histories import local_activity_type
from tests.conftest import running_worker, sent_mail
from tests.helpers import HISTORY_DIR, held_for_review, received, save_history, settled, start, start_for
from tests.scripted_provider import subject
from triage.domain import contracts
from triage.domain.contracts import CoordinationActivity
from triage.domain.models import TriageStatus

pytestmark = pytest.mark.slow


async def calls(handle: WorkflowHandle) -> tuple[dict[str, str], list[str]]:
    """The activities the workflow scheduled (name -> task queue), and its local activities' types."""
    scheduled: dict[str, str] = {}
    local: list[str] = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            scheduled[attributes.activity_type.name] = attributes.task_queue.name
        elif (local_type := local_activity_type(event)) is not None:
            local.append(local_type)
    return scheduled, local


async def workflow_types(client: Client, task_queue: str) -> list[str]:
    return sorted([w.workflow_type async for w in client.list_workflows(f"TaskQueue = '{task_queue}'")])


async def test_a_routine_reply_is_reserved_and_reported_by_an_activity_not_a_local_one(
    dev_env, settings, control
):
    """On the lean path the reservation and the verdict are steps of the one activity that sends
    the reply alone (``tests/test_reply_alone.py``); before it, activities of the coordination queue
    (``auto_sent_coordination.json``). Either way no local activity waits on the counter."""
    async with running_worker(dev_env.client, settings):
        handle = await start_for(
            dev_env.client, settings, control, subject=subject("faq", 0.95, text="Reset password?")
        )
        assert (await handle.result()).status is TriageStatus.AUTO_SENT
        scheduled, local = await calls(handle)
        coordinated = await workflow_types(dev_env.client, settings.coordination_queue)
    assert scheduled["reply_alone"] == settings.temporal_task_queue
    for asked in (CoordinationActivity.RESERVE_AUTO_REPLY, CoordinationActivity.REPORT_VERDICT):
        assert asked not in scheduled
        assert asked not in local
    assert coordinated == [contracts.AUTO_REPLY_COUNTER_WORKFLOW]  # the sender's counter, on its queue
    assert len(await sent_mail(control)) == 1


async def test_a_follow_up_joins_its_conversation_through_the_coordination_queue(dev_env, settings, control):
    async with running_worker(dev_env.client, settings):
        first, first_handle = await held_for_review(
            dev_env.client, settings, control, subject=subject("billing", 0.99, text="Invoice wrong")
        )
        follow_up = await received(
            control,
            settings,
            subject=subject("billing", 0.99, text="Re: Invoice wrong"),
            thread_id=first.thread_id,
        )
        handle = await start(dev_env.client, settings, follow_up)
        second = await settled(dev_env.client, handle)
        closed = await first_handle.result()
        await save_history(handle, "follow_up_coordination")
        scheduled, local = await calls(handle)
        coordinated = await workflow_types(dev_env.client, settings.coordination_queue)
    assert second.status is TriageStatus.AWAITING_REVIEW
    assert closed.status is TriageStatus.SUPERSEDED
    assert scheduled[CoordinationActivity.JOIN_CONVERSATION] == settings.coordination_queue
    assert CoordinationActivity.JOIN_CONVERSATION not in local
    assert coordinated == [contracts.CONVERSATION_WORKFLOW]  # the thread's conversation, on its queue


def test_the_saved_local_path_ran_them_as_local_activities():
    """The decoder reads what the code before the gate recorded (the assertions above rely on it)."""
    local = {
        name: [
            found
            for event in WorkflowHistory.from_json(name, (HISTORY_DIR / f"{name}.json").read_text()).events
            if (found := local_activity_type(event)) is not None
        ]
        for name in ("auto_sent_local", "follow_up_local")
    }
    assert CoordinationActivity.RESERVE_AUTO_REPLY in local["auto_sent_local"]
    assert CoordinationActivity.REPORT_VERDICT in local["auto_sent_local"]
    assert CoordinationActivity.JOIN_CONVERSATION in local["follow_up_local"]
    assert "thread_history" in local["follow_up_local"]
