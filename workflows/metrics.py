"""The triage workflow's product metrics, kept out of its orchestration.

Through the workflow's meter, which is replay-safe: a replayed run records nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from triage.domain.models import ReviewAction, TriageState, TriageStatus


def record_review_latency(state: TriageState, action: ReviewAction) -> None:
    """From the review request to a reviewer's decision."""
    if state.review_started_at is None:
        return
    workflow.metric_meter().create_histogram_timedelta(
        "triage_review_latency", "Time from review request to a reviewer's decision", "ms"
    ).record(workflow.now() - state.review_started_at, {"action": action.value})


def record_outcome(state: TriageState, status: TriageStatus) -> None:
    """Messages by final status and category; for a sent reply, the time to first response."""
    meter = workflow.metric_meter()
    category = state.classification.category.value if state.classification else "unknown"
    meter.create_counter("triage_messages", "Messages triaged, by final status").add(
        1, {"status": status.value, "category": category}
    )
    received = state.message.received_at or state.started_at
    if state.sent_message_id and received.tzinfo is not None:
        meter.create_histogram_timedelta(
            "triage_time_to_first_response", "From the message's arrival to the sent reply", "ms"
        ).record(max(workflow.now() - received, timedelta(0)), {"status": status.value})
