"""A reduced chaos run (``make chaos`` at 50 messages): every fault kind, exact accounting.

The whole of ``bench.chaos`` runs: a fresh dev server on a database file, the
emulator, the fake OpenAI server, the watcher and the worker as processes; the
worker dies by kill -9 once and the dev server restarts once, among socket,
REST and LLM faults and reviewers at work. The counts below come from the
emulator and from Temporal, so a lost message or a second reply fails here.
"""

from __future__ import annotations

import pytest

from bench.chaos import ANOMALIES, FAULT_KINDS, ChaosPlan, format_report, run_chaos

pytestmark = pytest.mark.slow

MESSAGES = 50


async def test_every_message_settles_once_with_one_reply_at_most_through_chaos():
    report = await run_chaos(ChaosPlan.for_messages(MESSAGES, seed=7))
    print(format_report(report))  # shown when an assertion fails
    counts = report.accounting
    outcomes = counts.outcomes

    assert report.mismatches == []
    assert {kind for kind in FAULT_KINDS if report.faults.get(kind, 0) < 1} == set()
    assert counts.injected == counts.workflows == MESSAGES
    assert dict(counts.anomalies) == dict.fromkeys(ANOMALIES, 0)
    assert outcomes["broken"] == 0
    assert sum(outcomes.values()) == MESSAGES
    assert counts.replies == outcomes["auto_sent"] + outcomes["sent"]
    # Both paths ran: routine mail went out alone, and reviewers decided on the rest.
    assert outcomes["auto_sent"] > 0
    assert outcomes["sent"] + outcomes["rejected"] > 0
