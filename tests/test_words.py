"""The words a reviewer and a customer read: reply subjects, the CLI's decision lines."""

from __future__ import annotations

import itertools

import pytest

from starter.cli.decisions import decision_line
from triage.domain.inbound import reply_subject
from triage.domain.models import ReviewAction, ReviewOutcome, TriageStatus


@pytest.mark.parametrize(
    ("subject", "language", "expected"),
    [
        ("", "en", "Re: your message"),
        (None, None, "Re: your message"),
        ("   ", "de", "Re: Ihre Nachricht"),
        ("", "fr", "Re: votre message"),
        ("Re:", "es", "Re: su mensaje"),
        ("", "it", "Re: your message"),  # no reply text in Italian: English, never a bare "Re:"
        ("Passwort", "de", "Re: Passwort"),
        ("RE: invoice", "en", "RE: invoice"),
    ],
)
def test_a_reply_always_has_a_subject(subject, language, expected):
    assert reply_subject(subject, language) == expected


@pytest.mark.parametrize(
    ("action", "outcome", "expected"),
    [
        (
            ReviewAction.APPROVE,
            ReviewOutcome(status=TriageStatus.SENT, revision=1, sent_message_id="msg_1"),
            "sent msg_1 (approved by alice, revision 1)",
        ),
        (
            ReviewAction.REJECT,
            ReviewOutcome(status=TriageStatus.REJECTED, revision=1),
            "rejected by alice (revision 1): nothing sent, the draft is discarded",
        ),
        (
            ReviewAction.CLOSE,
            ReviewOutcome(status=TriageStatus.NO_REPLY_NEEDED, revision=1),
            "closed by alice with no reply needed (revision 1): nothing sent",
        ),
        (
            ReviewAction.REDRAFT,
            ReviewOutcome(status=TriageStatus.AWAITING_REVIEW, revision=2),
            "redraft asked by alice: revision 2 waits for review",
        ),
    ],
)
def test_each_decision_is_said_once(action, outcome, expected):
    line = decision_line(action, "alice", 1, outcome)
    assert line == expected
    words = line.replace(",", "").replace(":", "").split()
    assert not any(a == b for a, b in itertools.pairwise(words)), "no word twice in a row"
    assert line.count("sent") <= 1
