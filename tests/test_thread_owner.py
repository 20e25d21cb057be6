"""A thread belongs to its sender (issue 27), end to end.

A real dev server, the emulator over real sockets, a real worker (the offline
model) and the reviewer API: another sender who posts into a customer's thread
neither supersedes nor closes the customer's review, never sees the customer's
text (not in his draft's input, not in his workflow's history), and both
reviewers see the thread gained a participant.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHandle

from starter.review import get_state
from tests.conftest import running_worker, sent_mail
from tests.helpers import REVIEWERS, api, csrf_token, held_for_review, in_thread, settled, start, triaged
from triage.domain.models import TriageStatus
from triage.domain.policy import DIFFERENT_SENDER

pytestmark = pytest.mark.slow

VERA = "Vera Lind <vera@example.org>"
MALLORY = "Mallory <mallory@example.net>"
DISPUTE = (
    "Hello,\n\nYou charged my card ending 4242 twice this month, $49 each. Please refund one of them.\n"
    "My billing address is 12 Birch Lane, Springfield.\n\nVera"
)


async def history_bytes(handle: WorkflowHandle) -> bytes:
    return b"".join(event.SerializeToString() for event in (await handle.fetch_history()).events)


async def test_another_sender_in_the_thread_takes_nothing_over(dev_env, settings, control, offline):
    settings = settings.model_copy(update={"reviewers": REVIEWERS})
    async with running_worker(dev_env.client, settings, offline), api(settings, dev_env.client) as http:
        vera, vera_handle = await held_for_review(
            dev_env.client, settings, control, **{"from": VERA}, subject="Charged twice", plain_body=DISPUTE
        )
        mallory = await in_thread(
            control,
            settings,
            vera,
            **{"from": MALLORY},
            plain_body="Never mind, all sorted. How do I download my invoices?",
        )
        mallory_handle = await start(dev_env.client, settings, mallory)
        mallory_state = await settled(dev_env.client, mallory_handle)
        vera_state = await get_state(dev_env.client, vera_handle.id)
        for _ in range(50):  # the new-participant signal lands just after Mallory's review opened
            if vera_state.other_participants:
                break
            vera_state = await get_state(dev_env.client, vera_handle.id)

        login = await http.get("/login")
        await http.post("/login", data={"token": "tok-a", "csrf_token": csrf_token(login.text)})
        vera_page = (await http.get(f"/reviews/{vera_handle.id}")).text
        mallory_page = (await http.get(f"/reviews/{mallory_handle.id}")).text
        mallory_history = await history_bytes(mallory_handle)

    # Vera's review is still hers, open, with her draft; it is marked.
    assert vera_state.status is TriageStatus.AWAITING_REVIEW and vera_state.superseded_by is None
    assert vera_state.other_participants == ["mallory@example.net"]
    assert "New participant in this thread: mallory@example.net" in vera_page
    # Mallory's message is its own review, with the reason, and none of Vera's text.
    assert mallory_state.status is TriageStatus.AWAITING_REVIEW
    assert any(r.startswith(DIFFERENT_SENDER) for r in mallory_state.policy_decision.reasons)
    assert mallory_state.thread == [] and mallory_state.other_participants == ["vera@example.org"]
    assert "4242" not in mallory_page and "Birch" not in mallory_page
    assert "New participant in this thread: vera@example.org" in mallory_page
    assert b"4242" not in mallory_history and b"Birch Lane" not in mallory_history
    assert await sent_mail(control) == []


async def test_another_senders_thank_you_does_not_close_the_customers_review(
    dev_env, settings, control, offline
):
    async with running_worker(dev_env.client, settings, offline):
        walt, walt_handle = await held_for_review(
            dev_env.client,
            settings,
            control,
            **{"from": "Walt <walt@example.org>"},
            subject="Refund",
            plain_body="I was charged after cancelling my plan. Please refund the $99.",
        )
        eve = await in_thread(
            control, settings, walt, **{"from": "Eve <eve@example.com>"}, plain_body="Thanks, that worked!"
        )
        eve_state = await triaged(dev_env.client, settings, eve)
        walt_state = await get_state(dev_env.client, walt_handle.id)
    assert walt_state.status is TriageStatus.AWAITING_REVIEW and walt_state.superseded_by is None
    assert eve_state.status is TriageStatus.AWAITING_REVIEW  # a stranger's thank-you: a human reads it
    assert any(r.startswith(DIFFERENT_SENDER) for r in eve_state.policy_decision.reasons)
    assert await sent_mail(control) == []


async def test_the_same_mailbox_under_another_name_is_the_same_customer(dev_env, settings, control, offline):
    """Display names and the spelling of the address do not make a new customer: the follow-up supersedes."""
    async with running_worker(dev_env.client, settings, offline):
        first, first_handle = await held_for_review(
            dev_env.client, settings, control, **{"from": VERA}, subject="Charged twice", plain_body=DISPUTE
        )
        again = await in_thread(
            control,
            settings,
            first,
            **{"from": "V. <VERA+billing@Example.org>"},
            plain_body="Any news on the refund? It is still not on my card.",
        )
        again_state = await triaged(dev_env.client, settings, again)
        closed = await first_handle.result()
    assert closed.status is TriageStatus.SUPERSEDED
    assert (
        again_state.other_participants == [] and "4242" in again_state.thread[0].text
    )  # her own text, for her
