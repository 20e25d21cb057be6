"""The review's state machine: which decisions a review takes, and what follows each.

Plain and deterministic (no I/O, no clock), so the workflow holds one and
every (phase, event) pair is table-tested (``tests/test_review_state.py``).
The events are the reviewer's decisions (the ``review`` Update and the
``review_signal`` Signal), the workflow's own steps (opening the review,
carrying a decision out or failing to, the expiry) and a newer message of the
conversation taking over. A decision the phase does not take is refused with
the kind reviewers' clients read (``ReviewErrorKind``); any other event a
phase does not take is a bug in the workflow (``IllegalTransition``).

A decision is queued when taken and carried out by the workflow's review loop;
the Update that sent it waits here for its outcome. In the library, not in
``workflows/``: imported once, not afresh in the sandbox for every run (its
enums alone cost about a millisecond to define).
"""

from __future__ import annotations

from enum import StrEnum

from temporalio.exceptions import ApplicationError

from triage.domain.contracts import ReviewErrorKind
from triage.domain.models import ReviewDecision, ReviewOutcome, TriageStatus


class ReviewPhase(StrEnum):
    NOT_OPEN = "not_open"  # classifying, drafting, deciding whether to send: nothing to decide on yet
    PENDING = "pending"  # the draft waits for a reviewer
    # A decision taken and being carried out; another waits its turn (refused as busy).
    APPROVING = "approving"
    EDITING = "editing"
    REJECTING = "rejecting"
    CLOSING = "closing"  # closed with no reply needed
    REDRAFTING = "redrafting"  # a redraft was requested: the draft is being rewritten
    # Closed: no decision is taken any more.
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED_NO_REPLY = "closed_no_reply"
    TIMED_OUT = "timed_out"
    SUPERSEDED = "superseded"  # a newer message of the conversation took over


class ReviewEvent(StrEnum):
    OPEN = "open"  # the policy held the reply (or it could not be sent): a human decides
    # The reviewer's decisions: one per ReviewAction, same values.
    APPROVE = "approve"
    EDIT = "edit"
    REJECT = "reject"
    CLOSE = "close"
    REDRAFT = "redraft"
    APPLIED = "applied"  # the decision taken was carried out
    FAILED = "failed"  # it could not be: the review stays open so the reviewer can try again
    TIME_OUT = "time_out"  # no decision before the expiry
    SUPERSEDE = "supersede"  # a newer message took over (a decision not yet begun is dropped)


DECISIONS = frozenset(
    {ReviewEvent.APPROVE, ReviewEvent.EDIT, ReviewEvent.REJECT, ReviewEvent.CLOSE, ReviewEvent.REDRAFT}
)
_CARRYING_OUT = {
    ReviewEvent.APPROVE: ReviewPhase.APPROVING,
    ReviewEvent.EDIT: ReviewPhase.EDITING,
    ReviewEvent.REJECT: ReviewPhase.REJECTING,
    ReviewEvent.CLOSE: ReviewPhase.CLOSING,
    ReviewEvent.REDRAFT: ReviewPhase.REDRAFTING,
}
_CARRIED_OUT = {
    ReviewPhase.APPROVING: ReviewPhase.APPROVED,
    ReviewPhase.EDITING: ReviewPhase.PENDING,  # the edited draft waits for its own decision
    ReviewPhase.REJECTING: ReviewPhase.REJECTED,
    ReviewPhase.CLOSING: ReviewPhase.CLOSED_NO_REPLY,
    ReviewPhase.REDRAFTING: ReviewPhase.PENDING,  # so does the new draft
}
IN_FLIGHT = frozenset(_CARRIED_OUT)

TRANSITIONS: dict[tuple[ReviewPhase, ReviewEvent], ReviewPhase] = {
    (ReviewPhase.NOT_OPEN, ReviewEvent.OPEN): ReviewPhase.PENDING,
    (ReviewPhase.NOT_OPEN, ReviewEvent.SUPERSEDE): ReviewPhase.SUPERSEDED,
    **{(ReviewPhase.PENDING, event): phase for event, phase in _CARRYING_OUT.items()},
    (ReviewPhase.PENDING, ReviewEvent.TIME_OUT): ReviewPhase.TIMED_OUT,
    (ReviewPhase.PENDING, ReviewEvent.SUPERSEDE): ReviewPhase.SUPERSEDED,
    **{(phase, ReviewEvent.APPLIED): after for phase, after in _CARRIED_OUT.items()},
    **{(phase, ReviewEvent.FAILED): ReviewPhase.PENDING for phase in IN_FLIGHT},
    **{(phase, ReviewEvent.SUPERSEDE): ReviewPhase.SUPERSEDED for phase in IN_FLIGHT},
}

# What the workflow's status is in each phase the review loop reports.
STATUS_OF = {
    ReviewPhase.PENDING: TriageStatus.AWAITING_REVIEW,
    ReviewPhase.APPROVED: TriageStatus.SENT,
    ReviewPhase.REJECTED: TriageStatus.REJECTED,
    ReviewPhase.CLOSED_NO_REPLY: TriageStatus.NO_REPLY_NEEDED,
    ReviewPhase.TIMED_OUT: TriageStatus.EXPIRED,
    ReviewPhase.SUPERSEDED: TriageStatus.SUPERSEDED,
}

SUPERSEDED_MESSAGE = "the review was superseded by a newer message"


class IllegalTransition(RuntimeError):
    """The workflow fired an event its review's phase does not take: a bug, never input."""


class ReviewState:
    def __init__(self, phase: ReviewPhase = ReviewPhase.NOT_OPEN) -> None:
        self.phase = phase
        self.queued: tuple[int, ReviewDecision] | None = None  # taken, not yet answered
        self._seq = 0
        self._outcomes: dict[int, ReviewOutcome | ApplicationError] = {}

    @property
    def status(self) -> TriageStatus:
        """The workflow's status in this phase: only for the phases the review loop ends in or goes on in."""
        return STATUS_OF[self.phase]

    def refusal(self, event: ReviewEvent) -> ApplicationError | None:
        """Why a decision is refused in this phase (None: it is taken)."""
        if (self.phase, event) in TRANSITIONS:
            return None
        if self.phase in IN_FLIGHT:
            return ApplicationError(
                "another decision is being applied", type=ReviewErrorKind.REVIEW_BUSY, non_retryable=True
            )
        if self.phase is ReviewPhase.SUPERSEDED:
            return ApplicationError(
                SUPERSEDED_MESSAGE, type=ReviewErrorKind.REVIEW_CLOSED, non_retryable=True
            )
        if self.phase in STATUS_OF:
            return ApplicationError(
                f"review is not open (status {STATUS_OF[self.phase].value})",
                type=ReviewErrorKind.REVIEW_CLOSED,
                non_retryable=True,
            )
        return ApplicationError(
            "review is not open yet", type=ReviewErrorKind.REVIEW_CLOSED, non_retryable=True
        )

    def fire(self, event: ReviewEvent) -> ReviewPhase:
        after = TRANSITIONS.get((self.phase, event))
        if after is None:
            if event in DECISIONS and (refusal := self.refusal(event)) is not None:
                raise refusal
            raise IllegalTransition(f"{event.value} in phase {self.phase.value}")
        self.phase = after
        return after

    # ---- the reviewer's decisions (Update and Signal) -------------------------------

    def check(self, decision: ReviewDecision, revision: int, status: TriageStatus) -> None:
        """Raise the refusal a decision meets now (``status``: the workflow's, named while not open)."""
        if self.phase is ReviewPhase.NOT_OPEN:
            raise ApplicationError(
                f"review is not open (status {status.value})",
                type=ReviewErrorKind.REVIEW_CLOSED,
                non_retryable=True,
            )
        if (refusal := self.refusal(ReviewEvent(decision.action.value))) is not None:
            raise refusal
        if decision.revision != revision:
            raise ApplicationError(
                f"decision is for revision {decision.revision}, the draft is at revision {revision}",
                type=ReviewErrorKind.STALE_REVISION,
                non_retryable=True,
            )

    def take(self, decision: ReviewDecision, revision: int, status: TriageStatus) -> int:
        """Queue a decision for the review loop; its number, to wait for its outcome with."""
        self.check(decision, revision, status)
        self.fire(ReviewEvent(decision.action.value))
        self._seq += 1
        self.queued = (self._seq, decision)
        return self._seq

    def answered(self, seq: int) -> bool:
        return seq in self._outcomes

    def outcome(self, seq: int) -> ReviewOutcome:
        """The outcome of decision ``seq`` once ``answered``; raises its refusal or failure."""
        outcome = self._outcomes.pop(seq)
        if isinstance(outcome, ApplicationError):
            raise outcome
        return outcome

    # ---- the workflow's steps ------------------------------------------------------

    def open(self) -> None:
        self.fire(ReviewEvent.OPEN)

    def applied(self) -> TriageStatus:
        """The queued decision was carried out: the status it leads to (then ``answer`` it)."""
        self.fire(ReviewEvent.APPLIED)
        return self.status

    def answer(self, outcome: ReviewOutcome) -> None:
        self._settle(outcome)

    def failed(self, error: ApplicationError) -> None:
        """The queued decision could not be carried out: its sender hears why, the review stays open."""
        self.fire(ReviewEvent.FAILED)
        self._settle(error)

    def time_out(self) -> None:
        self.fire(ReviewEvent.TIME_OUT)

    def supersede(self) -> None:
        """A newer message took over: a decision queued but not begun is refused."""
        self.fire(ReviewEvent.SUPERSEDE)
        if self.queued is not None:
            self._settle(
                ApplicationError(SUPERSEDED_MESSAGE, type=ReviewErrorKind.REVIEW_CLOSED, non_retryable=True)
            )

    def _settle(self, outcome: ReviewOutcome | ApplicationError) -> None:
        assert self.queued is not None, "no decision is queued"
        seq, _ = self.queued
        self._outcomes[seq] = outcome
        self.queued = None
