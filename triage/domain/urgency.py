"""How urgent a pending review is: the order of the reviewers' queue.

A legal threat or an account takeover waits first, then disputes and problem
reports, then everything else (a billing how-to, a thank-you, a feature
request); within each, the oldest first. Read from the guard flags the
classification raised, so the order needs nothing the queue does not show.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from triage.domain.models import GuardFlag


class Urgency(IntEnum):
    LEGAL_OR_SECURITY = 0
    DISPUTE_OR_PROBLEM = 1
    OTHER = 2

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Urgency.LEGAL_OR_SECURITY: "legal or security",
    Urgency.DISPUTE_OR_PROBLEM: "dispute or problem report",
    Urgency.OTHER: "other",
}

# Each tier's flags; a message takes the most urgent tier any of its flags is in.
TIER_FLAGS: dict[Urgency, frozenset[GuardFlag]] = {
    Urgency.LEGAL_OR_SECURITY: frozenset({GuardFlag.LEGAL, GuardFlag.SECURITY, GuardFlag.PRIVACY}),
    Urgency.DISPUTE_OR_PROBLEM: frozenset({GuardFlag.PROBLEM_REPORT, GuardFlag.MONEY, GuardFlag.DATA_LOSS}),
}

# Said on the queue's page, so a reviewer knows why a row sits where it does.
QUEUE_ORDER = (
    "Legal and security (data-protection requests included) first, then disputes and problem reports, "
    "then the rest; oldest first within each."
)


def urgency_of(flags: Iterable[GuardFlag]) -> Urgency:
    present = set(flags)
    for tier, members in TIER_FLAGS.items():
        if present & members:
            return tier
    return Urgency.OTHER
