"""A review's draft is saved and its reviewers notified in one activity (``REVIEW_NOTICE_WITH_DRAFT``).

Against the real server, workers, emulator and a Slack webhook stand-in: a review
costs the judge's activity and one more (no notice activity of its own), writes one
patch marker, and is approved as before; a notice the webhook refused is sent again
by the notice's own activity, with its retries.
"""

from __future__ import annotations

import asyncio

import pytest

from starter.review import decide_current
from tests.conftest import running_worker, sent_mail
from tests.helpers import scheduled_and_markers, start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import ReviewAction, TriageStatus

pytestmark = pytest.mark.slow


def headlines(receiver) -> list[str]:
    return [m["blocks"][0]["text"]["text"].split(": ", 1)[1] for m in receiver.messages]


async def test_a_review_is_saved_and_notified_in_one_activity_then_approved(
    dev_env, settings, control, slack_receiver
):
    async with running_worker(dev_env.client, settings, webhook_url=slack_receiver.url):
        handle = await start_for(dev_env.client, settings, control, subject=subject("billing", 0.9))
        state = await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        scheduled, markers = await scheduled_and_markers(handle)
        _, outcome = await decide_current(dev_env.client, handle.id, ReviewAction.APPROVE, "alice")
    assert scheduled == ["judge", "save_for_review"]  # classify and draft; save and notify
    assert markers.count("core_patch") == 1  # the notice's gate, for the lean path and every older one
    assert headlines(slack_receiver) == ["Review needed"]
    assert state.draft_id and state.reminder_at and state.review_started_at
    assert outcome.status is TriageStatus.SENT
    assert [s["plain_body"] for s in await sent_mail(control)] == [state.draft_body]


async def test_a_notice_the_webhook_refused_is_sent_again_by_its_own_activity(
    dev_env, settings, control, slack_receiver
):
    slack_receiver.fail_next = 1  # the attempt inside save_for_review
    async with running_worker(dev_env.client, settings, webhook_url=slack_receiver.url):
        handle = await start_for(dev_env.client, settings, control, subject=subject("billing", 0.9))
        state = await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        async with asyncio.timeout(20):
            while not slack_receiver.messages:
                await asyncio.sleep(0.1)
        scheduled, _ = await scheduled_and_markers(handle)
    assert scheduled == ["judge", "save_for_review", "notify_reviewer"]
    assert headlines(slack_receiver) == ["Review needed"]
    assert state.draft_id
