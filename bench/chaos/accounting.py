"""What a chaos run is counted in: the outcomes, the anomalies that must stay at 0, the figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.chaos.plan import EMAIL_KINDS, FOLLOW_UP_KINDS, STRANGER
from triage.domain.models import TriageStatus

# Where a workflow can be once the run has settled, as the table names it.
OUTCOMES = {
    "auto_sent": "auto_sent",
    "sent": "sent after review",
    "rejected": "rejected",
    "expired": "expired",
    "awaiting_review": "pending review",
    "superseded": "superseded",
    "no_reply_needed": "no reply needed",
    "failed": "failed",  # must stay 0 here: the mail faults end long before retries run out
    "broken": "broken runs",  # the Temporal execution itself failed, timed out or was terminated
}
EXPECTED_OUTCOMES = frozenset(OUTCOMES) - {"failed", "broken"}
# Where every workflow must be once settled; which of those send exactly one reply,
# which none at all (closed by a newer message or a thank-you).
SETTLED_STATUSES = frozenset(s for s in TriageStatus if s.is_terminal) | {TriageStatus.AWAITING_REVIEW}
REPLIED_STATUSES = frozenset({TriageStatus.AUTO_SENT, TriageStatus.SENT})
CLOSED_STATUSES = frozenset({TriageStatus.SUPERSEDED, TriageStatus.NO_REPLY_NEEDED})
# Everything that must stay at 0.
ANOMALIES = (
    "lost",
    "duplicate replies",
    "orphan replies",
    "replies to closed",  # a reply to a message whose workflow ended superseded or no_reply_needed
    "duplicate workflows",
    "unknown workflows",
    "threads with 2+ open reviews",
    "newest superseded",  # a thread's last message closed as superseded: nothing newer answers it
    "over the limit",  # automatic replies to one mailbox (however spelled) beyond AUTO_REPLY_LIMIT
    "closed by another sender",  # a review superseded or closed when only a stranger wrote after it
)
# How the conversation side of a run went (figures, not checks).
CONVERSATION_FIGURES = (
    "threads",
    "threads with follow-ups",
    "threads with a second sender",
    "limit-held",  # held for review because the sender's automatic replies were used up
    "limit sender emails",
    "limit sender auto-sent",
    "limit sender limit-held",
    "plus flood emails",  # one mailbox, each email spelled differently (pat+1@, PAT+promo@ ...)
    "plus flood auto-sent",
    "plus flood limit-held",
)


@dataclass
class Accounting:
    """The table of a run; ``mismatches`` says, message by message, what does not add up."""

    injected: int = 0
    workflows: int = 0
    replies: int = 0
    # Plain dicts: dataclasses.asdict would garble a Counter.
    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EMAIL_KINDS, 0))
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    conversation: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CONVERSATION_FIGURES, 0))
    anomalies: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANOMALIES, 0))
    mismatches: list[str] = field(default_factory=list)

    @property
    def follow_ups(self) -> int:
        return sum(self.kinds[kind] for kind in FOLLOW_UP_KINDS)

    def record(self, status: TriageStatus | None) -> None:
        outcome = status.value if status else "broken"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def flag(self, anomaly: str, count: int, problem: str) -> None:
        self.anomalies[anomaly] += count
        self.mismatches.append(problem)

    def rows(self) -> list[tuple[str, int]]:
        kinds = self.kinds
        return [
            ("injected", self.injected),
            ("  follow-ups", self.follow_ups),
            ("    racing (< 1 s)", kinds["racing"]),
            ("    later", kinds["later"]),
            ("    thank-yous", kinds["thanks"]),
            ("  second sender in a thread", kinds[STRANGER]),
            ("threads", self.conversation["threads"]),
            ("  with a second sender", self.conversation["threads with a second sender"]),
            ("workflows", self.workflows),
            *((label, self.outcomes[status]) for status, label in OUTCOMES.items()),
            ("replies", self.replies),
            ("limit-held", self.conversation["limit-held"]),
            ("limit sender emails", self.conversation["limit sender emails"]),
            ("  auto-sent", self.conversation["limit sender auto-sent"]),
            ("  limit-held", self.conversation["limit sender limit-held"]),
            ("plus flood emails", self.conversation["plus flood emails"]),
            ("  auto-sent", self.conversation["plus flood auto-sent"]),
            ("  limit-held", self.conversation["plus flood limit-held"]),
            *((anomaly, self.anomalies[anomaly]) for anomaly in ANOMALIES),
        ]
