"""A workflow's tasks, read from its history: how long each ran on a worker, and which
timed out, failed or was re-routed, and after what; and the activity attempts that
failed or timed out before one that ran (the history records only the last attempt,
whose ``attempt`` counts them).

A workflow task that times out on the worker (start-to-close) ran at least its
timeout (10 s), though no completion records it: it counts as a task that long.
One that waited past the sticky queue's schedule-to-start timeout never ran on
the worker it was meant for: the server hands it to the normal queue, where a
worker replays the run's history from its start. No call fails, but it is the
mark of a worker that could not keep up, and costs a replay: it is counted on
its own (``REROUTED``), beside the failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType, TaskQueueKind, TimeoutType
from temporalio.api.history.v1 import HistoryEvent

from bench.histories import local_activity_type

REROUTED = "workflow tasks re-routed from the sticky queue"
RETRIED = "activity attempt failed or timed out, retried"
FAILED = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
}


@dataclass
class TaskFigures:
    """One workflow's tasks: the longest run on a worker (and where), failures and re-routes by kind."""

    longest_s: float = 0.0
    where: dict[str, Any] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    rerouted: int = 0
    failed_at: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)  # when a task timed out on the worker: every event


def _timeline(events: list[HistoryEvent]) -> list[str]:
    """Seconds after the first event, type, and for a local activity what its marker records."""
    began = events[0].event_time.ToDatetime()
    lines = []
    for event in events:
        line = (
            f"{(event.event_time.ToDatetime() - began).total_seconds():7.2f} {event.event_id} {_kind(event)}"
        )
        if local_activity_type(event) is not None:
            (payload,) = event.marker_recorded_event_attributes.details["data"].payloads
            line += f" {payload.data.decode(errors='replace')[:300]}"
        lines.append(line)
    return lines


def _seconds(start: HistoryEvent, end: HistoryEvent) -> float:
    return (end.event_time.ToDatetime() - start.event_time.ToDatetime()).total_seconds()


def _recorded(event: HistoryEvent) -> str | None:
    """A command a workflow task's completion recorded: the activity it scheduled or the local activity it ran."""
    if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        return f"activity {event.activity_task_scheduled_event_attributes.activity_type.name}"
    local = local_activity_type(event)
    return None if local is None else f"local activity {local}"


def _kind(event: HistoryEvent) -> str:
    return EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()


def task_figures(workflow_id: str, events: Sequence[HistoryEvent]) -> TaskFigures:
    """Walk one history: each workflow task from its start to its completion or its timeout."""
    figures = TaskFigures()
    started: HistoryEvent | None = None
    scheduled: HistoryEvent | None = None
    previous: HistoryEvent | None = None
    trigger = "start"  # the event that scheduled the current task
    activities: dict[int, str] = {}  # scheduled event id -> activity type
    following: list[str] | None = None  # what the longest task so far recorded, while it is read

    def ran(took: float, how: str) -> None:
        nonlocal following
        if took > figures.longest_s:
            assert started is not None
            figures.longest_s = took
            following = []
            figures.where = {
                "workflow_id": workflow_id,
                "started_event_id": started.event_id,
                "ended": how,
                "then": following,
            }

    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            scheduled, started, following = event, None, None
            trigger = _kind(previous) if previous is not None else trigger
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started, following = event, None
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started is not None:
            ran(_seconds(started, event), "completed")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            timeout = event.workflow_task_timed_out_event_attributes.timeout_type
            if (
                timeout == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START
                and scheduled is not None
                and (
                    scheduled.workflow_task_scheduled_event_attributes.task_queue.kind
                    == TaskQueueKind.TASK_QUEUE_KIND_STICKY
                )
            ):
                figures.rerouted += 1
            else:
                how = TimeoutType.Name(timeout).removeprefix("TIMEOUT_TYPE_").lower()
                figures.failures[f"workflow_task_timed_out ({how})"] += 1
                if started is not None:  # it ran on a worker at least this long, unanswered
                    ran(_seconds(started, event), f"timed out ({how})")
                    figures.failed_at.append(
                        {
                            "workflow_id": workflow_id,
                            "started_event_id": started.event_id,
                            "after": trigger,
                            "waited_s": round(_seconds(scheduled, started), 1) if scheduled else None,
                            "identity": started.workflow_task_started_event_attributes.identity,
                        }
                    )
            started = None
        elif following is not None and (done := _recorded(event)):
            following.append(done)
        if kind in FAILED:
            figures.failures[_kind(event)] += 1
        elif (
            kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and (retried := event.activity_task_started_event_attributes.attempt - 1) > 0
        ):  # the attempts before it failed or timed out: the history keeps only the last
            name = activities.get(event.activity_task_started_event_attributes.scheduled_event_id, "?")
            figures.failures[f"{RETRIED} ({name})"] += retried
        if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activities[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        previous = event
    if figures.failed_at:
        figures.timeline = _timeline(list(events))
    return figures
