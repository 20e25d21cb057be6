"""What a closing triage workflow reports toward its answer's autonomy (``triage.domain.outcome.verdict_report``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from triage.domain.autonomy import Verdict
from triage.domain.models import (
    AutonomyMode,
    Category,
    Classification,
    DecisionRecord,
    InboundMessage,
    KbCitation,
    ModeInForce,
    ModeSource,
    PolicyDecision,
    ReviewAction,
    ReviewDecision,
    TriageState,
    TriageStatus,
)
from triage.domain.outcome import verdict_report

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SHADOW = ModeInForce(mode=AutonomyMode.SHADOW, scope="article:password-reset", source=ModeSource.CONFIG)


def closed(
    *, would_send: bool = True, mode: ModeInForce | None = SHADOW, actions: tuple[ReviewAction, ...] = ()
) -> TriageState:
    decisions = [
        DecisionRecord(
            decision=ReviewDecision(
                action=action,
                revision=1,
                reviewer=f"rev{i}",
                reason="no" if action is ReviewAction.REJECT else None,
            ),
            decided_at=NOW,
            status_after=TriageStatus.AWAITING_REVIEW,
            revision_after=1,
        )
        for i, action in enumerate(actions)
    ]
    return TriageState(
        workflow_id="triage-m1",
        status=TriageStatus.AWAITING_REVIEW,
        message=InboundMessage(message_id="m1", inbox_id="support", from_address="ana@example.org"),
        started_at=NOW,
        classification=Classification(category=Category.FAQ, confidence=0.97),
        policy_decision=PolicyDecision(auto_send=False, would_auto_send=would_send, mode=mode),
        citations=[KbCitation(article_id="password-reset", title="Reset")],
        revision=1,
        decisions=decisions,
    )


@pytest.mark.parametrize(
    ("state", "status", "verdict", "reviewer"),
    [
        (closed(actions=(ReviewAction.APPROVE,)), TriageStatus.SENT, Verdict.AGREE, "rev0"),
        (closed(actions=(ReviewAction.REJECT,)), TriageStatus.REJECTED, Verdict.REJECTED, "rev0"),
        (closed(actions=(ReviewAction.CLOSE,)), TriageStatus.NO_REPLY_NEEDED, Verdict.NO_REPLY, "rev0"),
        (closed(), TriageStatus.EXPIRED, Verdict.EXPIRED, None),
        # Nothing to count: the policy would not have sent it, no mode was read, nobody judged it.
        (closed(would_send=False, actions=(ReviewAction.APPROVE,)), TriageStatus.SENT, None, None),
        (closed(mode=None, actions=(ReviewAction.APPROVE,)), TriageStatus.SENT, None, None),
        (closed(), TriageStatus.SUPERSEDED, None, None),
        (closed(), TriageStatus.NO_REPLY_NEEDED, None, None),  # closed by the conversation, not a reviewer
    ],
)
def test_verdict_report(
    state: TriageState, status: TriageStatus, verdict: Verdict | None, reviewer: str | None
):
    report = verdict_report(state, status)
    if verdict is None:
        assert report is None
        return
    assert report is not None
    assert (report.verdict, report.reviewer, report.mode) == (verdict, reviewer, AutonomyMode.SHADOW)
    assert (report.article_id, report.category, report.inbox_id) == (
        "password-reset",
        Category.FAQ,
        "support",
    )
