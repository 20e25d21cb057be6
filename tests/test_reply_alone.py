"""The lean path: a message is classified and drafted in one activity, and a reply the policy
sends alone is reserved, saved, sent and reported in another.

The workflow's side (two activities, one patch marker, a draft saved for review when a
budget holds the reply) against the real server, workers and emulator; the
activity's retries against the emulator over its sockets: a retry never sends twice,
finds the draft an earlier attempt saved, and refuses when it cannot tell.
"""

from __future__ import annotations

import dataclasses

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.auto_reply import AutoReplyActivities
from activities.mail import MailActivities
from activities.mail_errors import SEND_UNKNOWN
from tests.conftest import make_settings, running_worker, sent_mail
from tests.helpers import received, save_history, scheduled_and_markers, settled, start, start_for
from tests.scripted_provider import subject
from triage.domain.auto_reply import ReplyAlone
from triage.domain.models import InboundMessage, SaveDraftRequest, TriageStatus
from triage.domain.policy import AUTO_REPLY_LIMIT
from triage.mail.factory import build_mail_provider
from worker.main import Coordination

pytestmark = pytest.mark.slow


async def test_a_routine_message_is_judged_in_one_activity_and_sent_in_another_one_patch_marker(
    dev_env, settings, control
):
    async with running_worker(dev_env.client, settings):
        handle = await start_for(
            dev_env.client, settings, control, subject=subject("faq", 0.95, text="Reset password?")
        )
        assert (await handle.result()).status is TriageStatus.AUTO_SENT
        events = [event async for event in handle.fetch_history_events()]
        scheduled, markers = await scheduled_and_markers(handle)
    upserts = [e for e in events if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]
    assert scheduled == ["judge", "reply_alone"]  # classify and draft; reserve, save, send and report
    assert markers.count("core_patch") == 1  # the first gate's, for every older one
    assert len(upserts) == 2  # its TemporalChangeVersion; the final status with the category
    assert len(await sent_mail(control)) == 1


async def test_a_reply_held_by_its_limit_waits_for_review_with_its_draft_saved(
    dev_env, mailsim, task_queue, control
):
    settings = make_settings(mailsim, task_queue, auto_reply_limit=1)
    sender = {"from": "twice@example.org"}
    async with running_worker(dev_env.client, settings):
        states = []
        for text in ("q1", "q2"):
            message = await received(control, settings, **sender, subject=subject("faq", 0.95, text=text))
            handle = await start(dev_env.client, settings, message)
            states.append(await settled(dev_env.client, handle))
        await save_history(handle, "held_by_limit")
    sent, held = states
    assert sent.status is TriageStatus.AUTO_SENT
    assert held.status is TriageStatus.AWAITING_REVIEW and held.draft_id and held.sent_message_id is None
    assert any(r.startswith(AUTO_REPLY_LIMIT) for r in held.policy_decision.reasons)
    assert len(await sent_mail(control)) == 1


# ---- the activity's retries --------------------------------------------------------------


def reply_to(message: InboundMessage, *, thread: bool = True) -> ReplyAlone:
    return ReplyAlone(
        draft=SaveDraftRequest(
            inbox_id=message.inbox_id,
            reply_to_message_id=message.message_id,
            to=["customer@example.org"],
            subject="Re: Question",
            body="Here is how.",
        ),
        thread_id=message.thread_id if thread else None,
    )


async def test_a_retry_after_the_reply_went_out_sends_nothing_twice(dev_env, settings, control):
    message = await received(control, settings, subject="Question")
    async with build_mail_provider(settings) as mail:
        activities = reply_alone_activities(dev_env.client, settings, mail)
        env = ActivityEnvironment()
        first = await env.run(activities.reply_alone, reply_to(message))
        env.info = dataclasses.replace(env.info, attempt=2)  # its answer was lost: Temporal retries
        again = await env.run(activities.reply_alone, reply_to(message))
    assert first.sent_message_id and again.sent_message_id == first.sent_message_id
    assert len(await sent_mail(control)) == 1


async def test_a_retry_sends_the_draft_an_earlier_attempt_saved(dev_env, settings, control):
    message = await received(control, settings, subject="Question")
    request = reply_to(message)
    async with build_mail_provider(settings) as mail:
        saved = await ActivityEnvironment().run(MailActivities(mail).save_draft, request.draft)
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=2)
        replied = await env.run(reply_alone_activities(dev_env.client, settings, mail).reply_alone, request)
        left = await mail.find_draft(settings.inbox_id, reply_to_message_id=message.message_id)
    assert replied.draft_id == saved and replied.sent_message_id
    assert left is None  # that draft went out; no second one was made
    assert len(await sent_mail(control)) == 1


async def test_a_retry_that_cannot_look_in_the_thread_goes_to_a_human(dev_env, settings, control):
    message = await received(control, settings, subject="Question")
    async with build_mail_provider(settings) as mail:
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=2)
        with pytest.raises(ApplicationError) as refused:
            await env.run(
                reply_alone_activities(dev_env.client, settings, mail).reply_alone,
                reply_to(message, thread=False),
            )
    assert refused.value.type == SEND_UNKNOWN and refused.value.non_retryable
    assert await sent_mail(control) == []


def reply_alone_activities(client, settings, mail) -> AutoReplyActivities:
    coordination = Coordination.of(client, settings)
    return AutoReplyActivities(MailActivities(mail), coordination.conversation, coordination.autonomy)
