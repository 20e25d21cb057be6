"""A reduced chaos run (``make chaos`` at 50 messages): every fault kind, exact accounting.

The whole of ``bench.chaos`` runs: a fresh dev server on a database file, the
emulator, the fake OpenAI server, the watcher and the worker as processes; the
worker dies by kill -9 once and the dev server restarts once, among socket,
REST and LLM faults and reviewers at work. Some emails follow up in an earlier
email's thread (within a second of it, or later) or only say thanks, and one
sender writes six routine emails in the same second, and so does one mailbox under six
spellings (pat+1@, PAT+promo@ ...); strangers write into customers' threads. The counts below come
from the emulator and from Temporal, so a lost message, a second reply, a reply
to a superseded draft or a fourth automatic reply to one sender fails here.
"""

from __future__ import annotations

import pytest

from bench.chaos.accounting import ANOMALIES, EXPECTED_OUTCOMES
from bench.chaos.plan import AUTO_REPLY_LIMIT, FAULT_KINDS, FOLLOW_UP_KINDS, STRANGER, ChaosPlan
from bench.chaos.report import format_report
from bench.chaos.run import run_chaos

pytestmark = pytest.mark.slow

MESSAGES = 50


async def test_every_message_settles_once_with_one_reply_at_most_through_chaos():
    report = await run_chaos(ChaosPlan.for_messages(MESSAGES, seed=7))
    print(format_report(report))  # shown when an assertion fails
    counts = report.accounting
    outcomes = counts.outcomes
    conversation = counts.conversation

    assert report.mismatches == []
    assert {kind for kind in FAULT_KINDS if report.faults.get(kind, 0) < 1} == set()
    assert counts.injected == counts.workflows == MESSAGES
    assert dict(counts.anomalies) == dict.fromkeys(ANOMALIES, 0)
    # Every workflow ends (or waits) in exactly one of the seven expected states.
    assert outcomes["broken"] == outcomes["failed"] == 0
    assert sum(outcomes[status] for status in EXPECTED_OUTCOMES) == MESSAGES
    assert counts.replies == outcomes["auto_sent"] + outcomes["sent"]
    # Both paths ran: routine mail went out alone, and reviewers decided on the rest.
    assert outcomes["auto_sent"] > 0
    assert outcomes["sent"] + outcomes["rejected"] > 0
    # Conversations: follow-ups of every kind, reviews they took over, thank-yous closed.
    assert all(counts.kinds[kind] >= 1 for kind in FOLLOW_UP_KINDS)
    assert 0.12 * MESSAGES <= counts.follow_ups <= 0.2 * MESSAGES
    # A second sender in a thread joins it, and is a conversation of its own.
    assert counts.kinds[STRANGER] >= 1 and conversation["threads with a second sender"] >= 1
    assert conversation["threads"] == MESSAGES - counts.follow_ups - counts.kinds[STRANGER]
    assert outcomes["superseded"] >= 1
    assert outcomes["no_reply_needed"] >= counts.kinds["thanks"]
    # The limit sender: exactly the limit went out on its own, the rest waited for a human.
    assert report.limit_decided_before_faults
    assert conversation["limit sender emails"] == 6
    assert conversation["limit sender auto-sent"] == AUTO_REPLY_LIMIT
    assert conversation["limit sender limit-held"] == 6 - AUTO_REPLY_LIMIT
    # The plus flood: six spellings of one mailbox, the same limit as one address.
    assert conversation["plus flood emails"] == 6
    assert conversation["plus flood auto-sent"] == AUTO_REPLY_LIMIT
    assert conversation["plus flood limit-held"] == 6 - AUTO_REPLY_LIMIT
    assert conversation["limit-held"] >= 2 * (6 - AUTO_REPLY_LIMIT)
    assert report.summary["follow_ups"] == counts.follow_ups
