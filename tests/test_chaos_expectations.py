"""What the chaos run expects of a thank-you, by where it was written (no servers: tables).

A thank-you closes its sender's own conversation and needs no reply; once another
sender has written into the thread, the workflow gives it to a human instead
(``workflows/triage.py``: a closing ends alone only without other participants).
The run's plan writes both: a 1,000-message run has thank-yous after a stranger.
And each thank-you the plan writes, in reply to each subject it writes, reads as a
closing: "Danke!" under "Re: Charged twice [55]" once read as a problem report (the
subject's "charged twice"), and that thank-you ended awaiting review in the 200-message run.
"""

from __future__ import annotations

import random

import pytest

from bench.chaos.plan import ROUTINE, SENSITIVE, STRANGER, THANKS, ChaosPlan, plan_emails
from bench.chaos.reconcile import another_sender_before, thank_you_problem
from bench.chaos.stream import InjectedEmail
from tests.helpers import text_message
from triage.domain.models import TriageStatus
from triage.judging.checked import judge_message_act
from triage.judging.guards import inspect_message

CUSTOMER, OTHER = "customer1@shop1.example", "stranger9@elsewhere.example"
ROOT = InjectedEmail("m1", "sensitive", "t1", CUSTOMER)
STRANGERS = InjectedEmail("m2", STRANGER, "t1", OTHER, parent="m1")
THANKS_EMAIL = InjectedEmail("m3", "thanks", "t1", CUSTOMER, parent="m1")


@pytest.mark.parametrize("subject", [subject for subject, _ in (*ROUTINE, *SENSITIVE)])
@pytest.mark.parametrize("body", THANKS)
def test_every_planned_thank_you_closes_in_every_planned_thread(subject, body):
    reply_subject = f"Re: {subject} [55]"  # as bench.chaos.plan writes it
    judged = judge_message_act(text_message(body, reply_subject), inspect_message(reply_subject, body).flags)
    assert judged.closing, judged


@pytest.mark.parametrize(
    ("thread", "expected"),
    [
        ([ROOT, THANKS_EMAIL], False),
        ([ROOT, STRANGERS, THANKS_EMAIL], True),
        ([ROOT, THANKS_EMAIL, STRANGERS], False),  # (the plan writes nothing after a thank-you)
        ([STRANGERS, THANKS_EMAIL], True),
    ],
)
def test_another_sender_before(thread, expected):
    assert another_sender_before(THANKS_EMAIL, thread) is expected


@pytest.mark.parametrize(
    ("after_another_sender", "status", "wrong"),
    [
        (False, TriageStatus.NO_REPLY_NEEDED, False),
        (False, TriageStatus.AWAITING_REVIEW, True),
        (False, TriageStatus.AUTO_SENT, True),
        (False, TriageStatus.SUPERSEDED, True),
        (False, None, True),
        # After a stranger: a human reads it, and may answer, reject or let it expire.
        (True, TriageStatus.AWAITING_REVIEW, False),
        (True, TriageStatus.SENT, False),
        (True, TriageStatus.REJECTED, False),
        (True, TriageStatus.EXPIRED, False),
        (True, TriageStatus.NO_REPLY_NEEDED, True),
        (True, TriageStatus.AUTO_SENT, True),
        (True, TriageStatus.SUPERSEDED, True),
        (True, None, True),
    ],
)
def test_thank_you_problem(after_another_sender, status, wrong):
    problem = thank_you_problem(THANKS_EMAIL, status, after_another_sender)
    assert (problem is not None) is wrong
    if wrong:
        assert problem is not None and problem.startswith("m3: ") and str(status) in problem


def test_the_long_plan_writes_thank_yous_after_a_stranger():
    """Seed 1 at 1,000 messages (``make chaos``) has one: the case is not hypothetical."""
    plan = ChaosPlan.for_messages(1000, seed=1)
    rng = random.Random(plan.seed)
    rng.random(), rng.random()  # the reviewers' and the fault schedule's seeds (bench.chaos.run)
    limit, stream = plan_emails(plan, random.Random(rng.random()))
    emails = {e.index: e for e in [*limit, *stream]}
    root = {}
    for email in sorted(emails.values(), key=lambda e: e.index):
        root[email.index] = root[email.parent] if email.parent is not None else email.index
    after_stranger = [
        e
        for e in stream
        if e.kind == "thanks"
        and any(o.kind == STRANGER and root[o.index] == root[e.index] and o.at < e.at for o in stream)
    ]
    assert after_stranger
