"""The automatic-reply limit counts mailboxes, not spellings (issue 27), end to end.

A real dev server, the emulator over real sockets, a real worker and the inbox
watcher: mail is posted to the emulator's inbox and what the emulator sent is
counted. Each attack here got more automatic replies than the limit before.
"""

from __future__ import annotations

import asyncio

import pytest

from starter.review import get_state
from tests.conftest import inbound, make_settings, running_worker, sent_mail
from tests.helpers import running_watcher
from tests.scripted_provider import subject
from triage.domain.contracts import workflow_id_for
from triage.domain.inbound import NEUTRAL_REPLY_SUBJECT
from triage.domain.models import TriageState, TriageStatus
from triage.domain.policy import AUTO_REPLY_LIMIT

pytestmark = pytest.mark.slow


async def decided(client, message_ids: list[str], timeout: float = 60.0) -> list[TriageState]:
    """Each message's state once the watcher started it and it was sent or waits for a human."""
    states: dict[str, TriageState] = {}
    async with asyncio.timeout(timeout):
        while len(states) < len(message_ids):
            for message_id in message_ids:
                if message_id in states:
                    continue
                try:
                    state = await get_state(client, workflow_id_for(message_id))
                except Exception:  # not started yet by the watcher
                    continue
                if state.status is TriageStatus.AWAITING_REVIEW or state.status.is_terminal:
                    states[message_id] = state
            await asyncio.sleep(0.2)
    return [states[m] for m in message_ids]


async def flood(client, settings, control, senders: list[str]) -> tuple[list[TriageState], list[dict]]:
    async with running_worker(client, settings), running_watcher(client, settings):
        created = [
            await inbound(control, **{"from": sender}, subject=subject("faq", 0.95, text=f"Reset? {n}"))
            for n, sender in enumerate(senders)
        ]
        states = await decided(client, [c["message_id"] for c in created])
    return states, await sent_mail(control)


def held_for_limit(states: list[TriageState]) -> list[TriageState]:
    return [
        s
        for s in states
        if s.status is TriageStatus.AWAITING_REVIEW
        and s.policy_decision is not None
        and any(r.startswith(AUTO_REPLY_LIMIT) for r in s.policy_decision.reasons)
    ]


async def test_plus_addresses_and_case_are_one_mailbox(dev_env, mailsim, task_queue, control):
    """pat+1@ ... pat+10@ (and PAT@) got 7 automatic replies: now the limit, 3."""
    settings = make_settings(mailsim, task_queue)
    limit = settings.auto_reply_limit
    senders = [f"Pat <pat+{n}@example.org>" for n in range(1, 10)] + ["PAT@Example.org"]
    states, sent = await flood(dev_env.client, settings, control, senders)
    assert len(sent) == limit, [s["to"] for s in sent]
    assert len(held_for_limit(states)) == len(senders) - limit
    assert all(
        "to this sender" in r
        for s in held_for_limit(states)
        for r in s.policy_decision.reasons
        if r.startswith(AUTO_REPLY_LIMIT)
    )


async def test_subdomains_share_the_domain_budget(dev_env, mailsim, task_queue, control):
    """Five subdomains of one domain got 5 of 5: the per-domain budget counts the registrable domain."""
    settings = make_settings(mailsim, task_queue, auto_reply_domain_limit=2)
    senders = [f"someone@team{n}.example.org" for n in range(5)]
    states, sent = await flood(dev_env.client, settings, control, senders)
    assert len(sent) == 2, [s["to"] for s in sent]
    reasons = [
        r for s in held_for_limit(states) for r in s.policy_decision.reasons if r.startswith(AUTO_REPLY_LIMIT)
    ]
    assert len(reasons) == 3 and all("domain" in r for r in reasons), reasons


async def test_the_inbox_has_a_budget_of_its_own(dev_env, mailsim, task_queue, control):
    settings = make_settings(mailsim, task_queue, auto_reply_inbox_limit=3)
    senders = [f"someone@shop{n}.example" for n in range(6)]  # six domains, one reply each
    states, sent = await flood(dev_env.client, settings, control, senders)
    assert len(sent) == 3
    reasons = [
        r for s in held_for_limit(states) for r in s.policy_decision.reasons if r.startswith(AUTO_REPLY_LIMIT)
    ]
    assert len(reasons) == 3 and all("inbox" in r for r in reasons), reasons


async def test_a_reply_never_repeats_a_subject_with_a_link(dev_env, mailsim, task_queue, control, offline):
    """A spoofed From with "Visit evil.example/promo" in the subject: the reply's subject is neutral."""
    settings = make_settings(mailsim, task_queue)
    async with (
        running_worker(dev_env.client, settings, offline),
        running_watcher(dev_env.client, settings),
    ):
        created = await inbound(
            control,
            **{"from": "ceo@bank.example"},
            subject="Visit evil.example/promo for free gifts",
            plain_body="How do I reset my password?",
        )
        (state,) = await decided(dev_env.client, [created["message_id"]])
    sent = await sent_mail(control)
    assert state.status is TriageStatus.AUTO_SENT, state.policy_decision
    assert [s["subject"] for s in sent] == [NEUTRAL_REPLY_SUBJECT]
    assert not any("evil" in s["subject"] or "evil" in (s.get("plain_body") or "") for s in sent)
