"""The review's state machine, every (phase, event) pair, written out by hand.

A cell is the phase the event leads to, ``Closed`` or ``Busy`` for a decision
refused with that kind (ReviewClosed, ReviewBusy), or ``-`` for an event the
workflow never fires in that phase (a bug: IllegalTransition).
"""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from triage.domain.contracts import ReviewErrorKind
from triage.domain.models import ReviewAction, ReviewDecision, ReviewOutcome, TriageStatus
from triage.domain.review_state import (
    DECISIONS,
    IllegalTransition,
    ReviewEvent,
    ReviewPhase,
    ReviewState,
)

TABLE = """
phase           open     approve    edit     reject     close    redraft     applied          failed   time_out   supersede
not_open        pending  Closed     Closed   Closed     Closed   Closed      -                -        -          superseded
pending         -        approving  editing  rejecting  closing  redrafting  -                -        timed_out  superseded
approving       -        Busy       Busy     Busy       Busy     Busy        approved         pending  -          superseded
editing         -        Busy       Busy     Busy       Busy     Busy        pending          pending  -          superseded
rejecting       -        Busy       Busy     Busy       Busy     Busy        rejected         pending  -          superseded
closing         -        Busy       Busy     Busy       Busy     Busy        closed_no_reply  pending  -          superseded
redrafting      -        Busy       Busy     Busy       Busy     Busy        pending          pending  -          superseded
approved        -        Closed     Closed   Closed     Closed   Closed      -                -        -          -
rejected        -        Closed     Closed   Closed     Closed   Closed      -                -        -          -
closed_no_reply -        Closed     Closed   Closed     Closed   Closed      -                -        -          -
timed_out       -        Closed     Closed   Closed     Closed   Closed      -                -        -          -
superseded      -        Closed     Closed   Closed     Closed   Closed      -                -        -          -
"""
REFUSED = {"Closed": ReviewErrorKind.REVIEW_CLOSED, "Busy": ReviewErrorKind.REVIEW_BUSY}


def cells() -> list[tuple[ReviewPhase, ReviewEvent, str]]:
    header, *rows = [line.split() for line in TABLE.strip().splitlines()]
    events = [ReviewEvent(e) for e in header[1:]]
    return [
        (ReviewPhase(row[0]), event, cell)
        for row in rows
        for event, cell in zip(events, row[1:], strict=True)
    ]


def decision(action: ReviewAction, revision: int = 1) -> ReviewDecision:
    """A valid decision of each kind: what each needs besides (the edited text, a reason, instructions)."""
    return ReviewDecision(
        action=action,
        revision=revision,
        reviewer="rita",
        body="Edited." if action is ReviewAction.EDIT else None,
        reason="Handled by phone" if action is ReviewAction.REJECT else None,
        instructions="Shorter" if action is ReviewAction.REDRAFT else None,
    )


def test_the_table_covers_every_phase_and_event_once():
    pairs = [(phase, event) for phase, event, _ in cells()]
    assert len(pairs) == len(set(pairs)) == len(ReviewPhase) * len(ReviewEvent)


def test_every_review_action_is_a_decision_event():
    assert {ReviewEvent(action.value) for action in ReviewAction} == DECISIONS


@pytest.mark.parametrize(("phase", "event", "expected"), cells(), ids=lambda v: str(v))
def test_transition(phase: ReviewPhase, event: ReviewEvent, expected: str):
    review = ReviewState(phase)
    if expected in REFUSED:
        with pytest.raises(ApplicationError) as refused:
            review.fire(event)
        assert refused.value.type == REFUSED[expected] and refused.value.non_retryable
        assert review.phase is phase
    elif expected == "-":
        with pytest.raises(IllegalTransition):
            review.fire(event)
        assert review.phase is phase
    else:
        assert review.fire(event) is ReviewPhase(expected) and review.phase is ReviewPhase(expected)


@pytest.mark.parametrize(("phase", "event", "expected"), [c for c in cells() if c[1] in DECISIONS])
def test_a_decision_from_the_update_or_the_signal(phase: ReviewPhase, event: ReviewEvent, expected: str):
    """``take`` (both handlers) and ``check`` (the validator) agree with the table."""
    review = ReviewState(phase)
    action = ReviewAction(event.value)
    if expected in REFUSED:
        for attempt in (review.check, review.take):
            with pytest.raises(ApplicationError) as refused:
                attempt(decision(action), 1, TriageStatus.AWAITING_REVIEW)
            assert refused.value.type == REFUSED[expected]
        assert review.queued is None
    else:
        review.check(decision(action), 1, TriageStatus.AWAITING_REVIEW)
        seq = review.take(decision(action), 1, TriageStatus.AWAITING_REVIEW)
        assert review.phase is ReviewPhase(expected) and review.queued == (seq, decision(action))


def refusal(review: ReviewState, d: ReviewDecision, revision: int = 1) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        review.take(d, revision, TriageStatus.AWAITING_REVIEW)
    return refused.value


def test_a_decision_for_an_older_draft_is_stale():
    review = ReviewState(ReviewPhase.PENDING)
    stale = refusal(review, decision(ReviewAction.APPROVE, revision=1), revision=2)
    assert stale.type == ReviewErrorKind.STALE_REVISION and "revision 1" in stale.message
    assert review.phase is ReviewPhase.PENDING


def test_before_the_review_opens_the_refusal_names_the_workflows_status():
    with pytest.raises(ApplicationError) as refused:
        ReviewState().check(decision(ReviewAction.APPROVE), 1, TriageStatus.DRAFTING)
    assert refused.value.type == ReviewErrorKind.REVIEW_CLOSED
    assert refused.value.message == "review is not open (status drafting)"


def approve_then(review: ReviewState) -> int:
    review.open()
    return review.take(decision(ReviewAction.APPROVE), 1, TriageStatus.AWAITING_REVIEW)


def test_approve_sends_and_closes_the_review():
    review = ReviewState()
    seq = approve_then(review)
    assert not review.answered(seq)
    assert review.applied() is TriageStatus.SENT
    review.answer(ReviewOutcome(status=TriageStatus.SENT, revision=1, sent_message_id="m1"))
    assert review.answered(seq) and review.outcome(seq).sent_message_id == "m1"
    second = refusal(review, decision(ReviewAction.APPROVE))
    assert (
        second.type == ReviewErrorKind.REVIEW_CLOSED and second.message == "review is not open (status sent)"
    )


def test_approve_after_reject_is_refused():
    review = ReviewState()
    review.open()
    review.take(decision(ReviewAction.REJECT), 1, TriageStatus.AWAITING_REVIEW)
    assert review.applied() is TriageStatus.REJECTED
    assert refusal(review, decision(ReviewAction.APPROVE)).type == ReviewErrorKind.REVIEW_CLOSED


def test_a_second_decision_while_the_first_is_carried_out_is_busy():
    review = ReviewState()
    approve_then(review)
    assert refusal(review, decision(ReviewAction.REJECT)).type == ReviewErrorKind.REVIEW_BUSY


def test_a_decision_after_the_timeout_is_refused():
    review = ReviewState()
    review.open()
    review.time_out()
    assert review.status is TriageStatus.EXPIRED
    closed = refusal(review, decision(ReviewAction.APPROVE))
    assert closed.type == ReviewErrorKind.REVIEW_CLOSED and "expired" in closed.message


def test_a_failed_decision_is_told_to_its_sender_and_the_review_stays_open():
    review = ReviewState()
    seq = approve_then(review)
    review.failed(ApplicationError("send failed", type=ReviewErrorKind.DECISION_FAILED))
    assert review.phase is ReviewPhase.PENDING and review.queued is None
    with pytest.raises(ApplicationError) as failed:
        review.outcome(seq)
    assert failed.value.type == ReviewErrorKind.DECISION_FAILED
    assert review.take(decision(ReviewAction.APPROVE), 1, TriageStatus.AWAITING_REVIEW) == seq + 1


def test_an_edit_or_a_redraft_waits_for_a_decision_on_the_new_draft():
    review = ReviewState()
    review.open()
    review.take(decision(ReviewAction.EDIT), 1, TriageStatus.AWAITING_REVIEW)
    assert review.applied() is TriageStatus.AWAITING_REVIEW
    review.answer(ReviewOutcome(status=TriageStatus.AWAITING_REVIEW, revision=2))
    review.take(decision(ReviewAction.REDRAFT, revision=2), 2, TriageStatus.AWAITING_REVIEW)
    assert review.applied() is TriageStatus.AWAITING_REVIEW


def test_supersede_refuses_the_decision_queued_but_not_begun():
    review = ReviewState()
    seq = approve_then(review)
    review.supersede()
    assert review.phase is ReviewPhase.SUPERSEDED and review.queued is None
    with pytest.raises(ApplicationError) as dropped:
        review.outcome(seq)
    assert dropped.value.type == ReviewErrorKind.REVIEW_CLOSED and "superseded" in dropped.value.message
    later = refusal(review, decision(ReviewAction.APPROVE))
    assert later.type == ReviewErrorKind.REVIEW_CLOSED and "superseded" in later.message


def test_supersede_before_the_review_opens_keeps_it_shut():
    review = ReviewState()
    review.supersede()
    with pytest.raises(IllegalTransition):
        review.open()
