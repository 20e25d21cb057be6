"""How the burst benchmark reads a workflow's tasks from its history (bench.workflow_tasks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType, TaskQueueKind, TimeoutType
from temporalio.api.history.v1 import HistoryEvent

from bench.workflow_tasks import REROUTED, RETRIED, task_figures

BEGAN = datetime(2026, 12, 7, tzinfo=UTC)
E = EventType
STICKY, NORMAL = TaskQueueKind.TASK_QUEUE_KIND_STICKY, TaskQueueKind.TASK_QUEUE_KIND_NORMAL


def history(*steps: tuple) -> list[HistoryEvent]:
    """(seconds after the start, event type[, queue kind or timeout type]) -> events."""
    events = []
    for number, (at, kind, *extra) in enumerate(steps, 1):
        event = HistoryEvent(event_id=number, event_type=kind)
        event.event_time.FromDatetime(BEGAN + timedelta(seconds=at))
        if kind == E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            event.workflow_task_scheduled_event_attributes.task_queue.kind = extra[0] if extra else NORMAL
        elif kind == E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            event.workflow_task_timed_out_event_attributes.timeout_type = extra[0]
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            event.activity_task_scheduled_event_attributes.activity_type.name = "reply_alone"
        elif kind == E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            event.activity_task_started_event_attributes.attempt = extra[0] if extra else 1
            event.activity_task_started_event_attributes.scheduled_event_id = number - 1
        events.append(event)
    return events


def task(at: float, took: float, queue: int = NORMAL) -> tuple:
    return (
        (at, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, queue),
        (at + 0.1, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        (at + 0.1 + took, E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    )


START = ((0, E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),)
STICKY_TIMEOUT = (
    (5, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, STICKY),
    (15, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START),
)
WORKER_TIMEOUT = (
    (5, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, STICKY),
    (6, E.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    (16, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE),
)


@pytest.mark.parametrize(
    ("steps", "longest", "ended", "rerouted", "failures"),
    [
        pytest.param((*START, *task(0, 0.5), *task(2, 1.5, STICKY)), 1.5, "completed", 0, {}, id="completed"),
        pytest.param(
            (*START, *task(0, 0.5), *STICKY_TIMEOUT, *task(15, 0.2)), 0.5, "completed", 1, {}, id="rerouted"
        ),
        pytest.param(
            (*START, *task(0, 0.5), *WORKER_TIMEOUT, *task(16, 0.2)),
            10.0,
            "timed out (start_to_close)",
            0,
            {"workflow_task_timed_out (start_to_close)": 1},
            id="timed out on the worker: as long as its timeout",
        ),
        pytest.param(
            (
                *START,
                (0, E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, NORMAL),
                (10, E.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START),
                *task(10, 0.3),
            ),
            0.3,
            "completed",
            0,
            {"workflow_task_timed_out (schedule_to_start)": 1},
            id="normal queue: no worker took it",
        ),
        pytest.param(
            (*START, *task(0, 0.5), (3, E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT), *task(3, 0.1)),
            0.5,
            "completed",
            0,
            {"activity_task_timed_out": 1},
            id="activity timed out",
        ),
        pytest.param(
            (
                *START,
                *task(0, 0.5),
                (3, E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
                (3, E.EVENT_TYPE_ACTIVITY_TASK_STARTED, 3),
                (4, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
                *task(4, 0.1),
            ),
            0.5,
            "completed",
            0,
            {f"{RETRIED} (reply_alone)": 2},
            id="third attempt of an activity: two failed before it",
        ),
    ],
)
def test_task_figures(steps, longest, ended, rerouted, failures):
    figures = task_figures("wf", history(*steps))
    assert figures.longest_s == pytest.approx(longest)
    assert figures.where["ended"] == ended
    assert figures.rerouted == rerouted
    assert dict(figures.failures) == failures
    assert REROUTED not in figures.failures


def test_a_timed_out_task_says_what_scheduled_it():
    figures = task_figures(
        "wf", history(*START, *task(0, 0.5), (4, E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED), *WORKER_TIMEOUT)
    )
    (at,) = figures.failed_at
    assert at["after"] == "activity_task_completed"
    assert at["waited_s"] == pytest.approx(1.0)
