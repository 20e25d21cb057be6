"""Conversations end to end: a real dev server, the emulator over real sockets,
real workers. A follow-up supersedes the open review, a thank-you needs no
reply, and no sender gets more than K automatic replies, under any race."""

from __future__ import annotations

import asyncio

import pytest

from starter.review import ReviewRejected, decide_current, get_state
from tests.conftest import running_worker, sent_mail
from tests.helpers import held_for_review, in_thread, received, settled, start, triaged
from tests.scripted_provider import subject
from triage.domain.models import GuardFlag, ReviewAction, TriageStatus
from triage.domain.policy import AUTO_REPLY_LIMIT, FOLLOW_UP

pytestmark = pytest.mark.slow


async def test_a_follow_up_supersedes_the_open_review(dev_env, settings, control, offline):
    """Charged after cancelling, then "never mind": one open review, the first superseded."""
    async with running_worker(dev_env.client, settings, offline):
        rosa = {"from": "Rosa Diaz <rosa@example.org>"}
        first, first_handle = await held_for_review(
            dev_env.client,
            settings,
            control,
            **rosa,
            subject="Charged after cancelling",
            plain_body="Hi,\n\nI cancelled my subscription last month, but you charged me again on the 3rd. "
            "Please refund it.\n\nRosa",
        )
        follow_up = await in_thread(
            control,
            settings,
            first,
            **rosa,
            plain_body="Never mind, my bank reversed it. Please ignore my previous email. "
            "How do I download my invoices?",
        )
        second_handle = await start(dev_env.client, settings, follow_up)
        second = await settled(dev_env.client, second_handle)
        closed = await first_handle.result()
        first_state = await get_state(dev_env.client, first_handle.id)
        with pytest.raises(ReviewRejected) as refused:
            await decide_current(dev_env.client, first_handle.id, ReviewAction.APPROVE, "alice", revision=1)
    assert closed.status is TriageStatus.SUPERSEDED
    assert first_state.superseded_by == second_handle.id
    assert refused.value.kind == "ReviewClosed" and "superseded" in str(refused.value)
    assert second.status is TriageStatus.AWAITING_REVIEW
    assert second.policy_decision is not None and FOLLOW_UP in second.policy_decision.reasons
    assert [e.from_us for e in second.thread] == [False] and "refund" in second.thread[0].text
    assert await sent_mail(control) == []  # nothing went to the customer


@pytest.mark.parametrize("order", ["in order", "reversed"])
async def test_racing_follow_ups_leave_exactly_one_open_review(dev_env, settings, control, order):
    async with running_worker(dev_env.client, settings):
        first = await received(control, settings, subject=subject("billing", 0.99, text="Invoice wrong"))
        second = await received(
            control,
            settings,
            subject=subject("billing", 0.99, text="Re: Invoice wrong"),
            thread_id=first.thread_id,
        )
        third = await received(
            control,
            settings,
            subject=subject("billing", 0.99, text="Re: Invoice wrong"),
            thread_id=first.thread_id,
        )
        messages = [first, second, third] if order == "in order" else [third, second, first]
        handles = await asyncio.gather(*(start(dev_env.client, settings, m) for m in messages))
        states = await asyncio.gather(*(settled(dev_env.client, h) for h in handles))
        for _ in range(100):  # the supersede signals may land just after a review opened
            states = [await get_state(dev_env.client, h.id) for h in handles]
            if sum(s.status is TriageStatus.AWAITING_REVIEW for s in states) == 1:
                break
            await asyncio.sleep(0.1)
    statuses = sorted(s.status.value for s in states)
    assert statuses == ["awaiting_review", "superseded", "superseded"], statuses
    assert await sent_mail(control) == []


async def test_a_thank_you_needs_no_reply_but_a_thank_you_with_a_question_does(
    dev_env, settings, control, offline
):
    async with running_worker(dev_env.client, settings, offline):
        question = await received(
            control, settings, subject="Password", plain_body="How do I reset my password?"
        )
        assert (await triaged(dev_env.client, settings, question)).status is TriageStatus.AUTO_SENT
        thanks = await in_thread(
            control,
            settings,
            question,
            plain_body="Thanks, that worked!\n\nOn Mon, Acme Help wrote:\n> If you forgot your password, ...",
        )
        thanked = await triaged(dev_env.client, settings, thanks)
        more = await in_thread(
            control,
            settings,
            question,
            plain_body="Thanks! One more question: how do I download my invoices?",
        )
        more_state = await triaged(dev_env.client, settings, more)
    assert thanked.status is TriageStatus.NO_REPLY_NEEDED
    assert more_state.status is TriageStatus.AWAITING_REVIEW  # triaged as a follow-up
    assert len(await sent_mail(control)) == 1  # the one answer, nothing for the thanks


async def test_a_flooding_sender_gets_exactly_k_automatic_replies(dev_env, settings, control):
    limit = settings.policy_settings().auto_reply_limit
    async with running_worker(dev_env.client, settings):
        messages = [
            await received(
                control, settings, **{"from": "flood@example.org"}, subject=subject("faq", 0.95, text=f"q{i}")
            )
            for i in range(10)
        ]
        handles = await asyncio.gather(*(start(dev_env.client, settings, m) for m in messages))
        states = await asyncio.gather(*(settled(dev_env.client, h) for h in handles))
    sent = [s for s in states if s.status is TriageStatus.AUTO_SENT]
    held = [s for s in states if s.status is TriageStatus.AWAITING_REVIEW]
    assert len(sent) == limit and len(held) == 10 - limit
    assert all(any(r.startswith(AUTO_REPLY_LIMIT) for r in s.policy_decision.reasons) for s in held)
    assert len(await sent_mail(control)) == limit


async def test_an_auto_responder_cannot_start_a_loop(dev_env, settings, control, offline):
    """An out-of-office without Auto-Submitted headers answers every reply: we answer once."""
    responder = {"from": "Away Bot <away@example.net>"}
    async with running_worker(dev_env.client, settings, offline):
        question = await received(
            control, settings, **responder, subject="Browsers", plain_body="Which browsers do you support?"
        )
        assert (await triaged(dev_env.client, settings, question)).status is TriageStatus.AUTO_SENT
        for _ in range(3):
            bounce = await in_thread(
                control,
                settings,
                question,
                **responder,
                plain_body="I am out of the office until Monday and will read your email when I am back. "
                "Which browsers do you support?",
            )
            await triaged(dev_env.client, settings, bounce)
    assert len(await sent_mail(control)) == 1


async def test_a_signal_to_a_closed_review_is_refused_like_an_update(dev_env, settings, control):
    async with running_worker(dev_env.client, settings):
        message = await received(control, settings, subject=subject("faq", 0.95, text="Reset?"))
        handle = await start(dev_env.client, settings, message)
        assert (await settled(dev_env.client, handle)).status is TriageStatus.AUTO_SENT
        await handle.result()
        with pytest.raises(ReviewRejected) as refused:
            await decide_current(
                dev_env.client, handle.id, ReviewAction.APPROVE, "alice", revision=1, wait=False
            )
    assert refused.value.kind == "ReviewClosed"


@pytest.mark.parametrize(
    ("thanks", "report_ends"),
    [
        ("Danke, das hat geholfen!", TriageStatus.NO_REPLY_NEEDED),
        ("Merci, c'est parfait", TriageStatus.NO_REPLY_NEEDED),
        ("Thanks, that's all I needed!", TriageStatus.NO_REPLY_NEEDED),
        # Thanking for the holding reply is no reason to drop the report: it still waits for a human.
        ("Thanks, I'll wait for your answer.", TriageStatus.AWAITING_REVIEW),
        ("Danke, ich warte auf Ihre Antwort.", TriageStatus.AWAITING_REVIEW),
        ("Gracias, quedo a la espera.", TriageStatus.AWAITING_REVIEW),
    ],
)
async def test_a_closing_closes_the_threads_open_review_unless_it_waits_for_the_answer(
    dev_env, settings, control, offline, thanks, report_ends
):
    """A problem report waits for a human; the customer's thank-you in the thread needs no reply,
    and closes the report's review unless it says the customer waits for the answer."""
    async with running_worker(dev_env.client, settings, offline):
        report, report_handle = await held_for_review(
            dev_env.client,
            settings,
            control,
            subject="Export",
            plain_body="The export finished but the CSV only has the headers.",
        )
        closing = await in_thread(
            control,
            settings,
            report,
            plain_body=f"{thanks}\n\nOn Mon, Acme Help wrote:\n> We are looking into it.",
        )
        closed_by = await triaged(dev_env.client, settings, closing)
        if report_ends is TriageStatus.AWAITING_REVIEW:  # still open: its state, a while after the thanks
            await asyncio.sleep(1)
            report_status = (await get_state(dev_env.client, report_handle.id)).status
        else:
            report_status = (await report_handle.result()).status
    assert closed_by.status is TriageStatus.NO_REPLY_NEEDED
    assert report_status is report_ends
    assert await sent_mail(control) == []  # no reply to the thanks


async def test_a_thanks_that_still_reports_keeps_the_review_open(dev_env, settings, control, offline):
    async with running_worker(dev_env.client, settings, offline):
        report = await received(control, settings, subject="Export", plain_body="The CSV export is empty.")
        await triaged(dev_env.client, settings, report)
        follow_up = await in_thread(
            control, settings, report, plain_body="Thanks, but it still fails: the file has only the headers."
        )
        state = await triaged(dev_env.client, settings, follow_up)
    assert state.status is TriageStatus.AWAITING_REVIEW
    assert state.classification is not None and GuardFlag.PROBLEM_REPORT in state.classification.guard_flags
    assert await sent_mail(control) == []
