"""The queue's order: legal and security first, then disputes and problem reports, then the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starter.api.views import QueueRow, queue_order
from triage.domain.models import GuardFlag
from triage.domain.outcome import reasons_line
from triage.domain.urgency import Urgency, urgency_of

L, S, P, PR, M, D = (
    GuardFlag.LEGAL,
    GuardFlag.SECURITY,
    GuardFlag.PRIVACY,
    GuardFlag.PROBLEM_REPORT,
    GuardFlag.MONEY,
    GuardFlag.DATA_LOSS,
)


@pytest.mark.parametrize(
    ("flags", "urgency"),
    [
        ([L], Urgency.LEGAL_OR_SECURITY),
        ([S], Urgency.LEGAL_OR_SECURITY),
        ([P], Urgency.LEGAL_OR_SECURITY),
        ([PR, L], Urgency.LEGAL_OR_SECURITY),  # the most urgent tier wins
        ([PR], Urgency.DISPUTE_OR_PROBLEM),
        ([M], Urgency.DISPUTE_OR_PROBLEM),
        ([D, GuardFlag.URGENT], Urgency.DISPUTE_OR_PROBLEM),
        ([], Urgency.OTHER),
        ([GuardFlag.TECHNICAL, GuardFlag.NEGATIVE_SENTIMENT], Urgency.OTHER),
    ],
)
def test_urgency_of_flags(flags, urgency):
    assert urgency_of(flags) is urgency


def row(name: str, flags: list[GuardFlag], hours_old: int) -> QueueRow:
    return QueueRow(
        workflow_id=name,
        category=None,
        confidence=None,
        received_at=datetime(2026, 12, 7, 12, tzinfo=UTC) - timedelta(hours=hours_old),
        sender="",
        subject="",
        deadline=None,
        flags=[f.value for f in flags],
        revision=1,
        main_reason="",
        urgency=urgency_of(flags),
    )


def test_the_queue_puts_a_legal_threat_before_older_routine_mail():
    rows = [
        row("thanks", [], 30),
        row("lawyer", [L, PR], 1),
        row("dispute", [M], 2),
        row("old-problem", [PR], 20),
        row("billing-howto", [], 5),
        row("takeover", [S], 3),
    ]
    assert [r.workflow_id for r in queue_order(rows)] == [
        "takeover",
        "lawyer",
        "old-problem",
        "dispute",
        "thanks",
        "billing-howto",
    ]


def test_reasons_line_names_the_cause_then_also():
    assert reasons_line([]) == ""
    assert (
        reasons_line(["category billing always goes to review"]) == "category billing always goes to review"
    )
    assert reasons_line(["a", "b", "c"]) == "a; also: b; c"
