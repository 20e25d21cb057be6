"""The mail provider seam: neutral errors reach Temporal as they always have, and a
provider that is not myagentmail drives the activities and the watcher."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities
from starter.watcher import InboxWatcher
from triage.domain.contracts import workflow_id_for
from triage.domain.models import (
    DiscardDraftRequest,
    InboundMessage,
    SaveDraftRequest,
    SendDraftRequest,
    ThreadRequest,
)
from triage.mail.errors import (
    MailBadResponse,
    MailError,
    MailNotFound,
    MailRateLimited,
    MailRejected,
    MailSubscriptionLost,
    MailUnavailable,
    MailUnreachable,
)
from triage.mail.factory import build_mail_provider
from triage.mail.models import MailDraft, MailThread, SentMail, ThreadMessage
from triage.mail.myagentmail.provider import MyAgentMailProvider
from triage.mail.provider import MailProvider, MailSubscription
from triage.runtime.config import Settings

INBOX = "support"
OWN_ADDRESS = "support@acme-help.test"

# ---- an in-memory provider: the whole protocol in a few lines ---------------------------


class MemorySubscription:
    def __init__(self, queue: asyncio.Queue[InboundMessage]) -> None:
        self._queue = queue
        self.own_address: str | None = OWN_ADDRESS

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> InboundMessage:
        return await self._queue.get()


class MemoryMail:
    """A mailbox in dicts; ``log`` records the order of subscribing and listing."""

    name = "memory"

    def __init__(self, inbound: list[InboundMessage] | None = None) -> None:
        self.inbound = list(inbound or [])  # oldest first
        self.drafts: dict[str, MailDraft] = {}
        self.sent: dict[str, ThreadMessage] = {}  # by draft id
        self.pushed: asyncio.Queue[InboundMessage] = asyncio.Queue()
        self.log: list[str] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self.log.append("closed")

    async def get_message(self, inbox_id: str, message_id: str) -> InboundMessage:
        for message in self.inbound:
            if message.message_id == message_id:
                return message
        raise MailNotFound(f"message {message_id}")

    async def inbound_pages(
        self, inbox_id: str, *, page_size: int, max_pages: int
    ) -> AsyncIterator[list[InboundMessage]]:
        self.log.append("listed")
        newest_first = self.inbound[::-1]
        for start in range(0, min(len(newest_first), page_size * max_pages), page_size):
            yield newest_first[start : start + page_size]

    @asynccontextmanager
    async def subscribe(
        self, inbox_id: str, *, idle_timeout: float, on_malformed: Callable[[str], None]
    ) -> AsyncIterator[MailSubscription]:
        self.log.append("subscribed")
        yield MemorySubscription(self.pushed)

    async def create_draft(
        self,
        inbox_id: str,
        *,
        to: list[str],
        subject: str,
        plain_body: str,
        reply_to_message_id: str | None = None,
        html_body: str | None = None,
    ) -> MailDraft:
        draft = MailDraft(
            id=f"d{len(self.drafts) + len(self.sent)}",
            to=to,
            subject=subject,
            plain_body=plain_body,
            reply_to_message_id=reply_to_message_id,
        )
        self.drafts[draft.id] = draft
        return draft

    async def get_draft(self, inbox_id: str, draft_id: str) -> MailDraft:
        if draft_id not in self.drafts:
            raise MailNotFound(f"draft {draft_id}")
        return self.drafts[draft_id]

    async def find_draft(self, inbox_id: str, *, reply_to_message_id: str) -> MailDraft | None:
        return next((d for d in self.drafts.values() if d.reply_to_message_id == reply_to_message_id), None)

    async def update_draft(
        self, inbox_id: str, draft_id: str, *, plain_body: str, html_body: str | None = None
    ) -> MailDraft:
        draft = (await self.get_draft(inbox_id, draft_id)).model_copy(update={"plain_body": plain_body})
        self.drafts[draft_id] = draft
        return draft

    async def send_draft(self, inbox_id: str, draft_id: str) -> SentMail:
        draft = self.drafts.pop(draft_id, None)
        if draft is None:
            raise MailNotFound(f"draft {draft_id}")
        self.sent[draft_id] = ThreadMessage(
            id=f"sent-{draft_id}",
            outbound=True,
            from_address=OWN_ADDRESS,
            in_reply_to=draft.reply_to_message_id,
            plain_body=draft.plain_body,
        )
        return SentMail(message_id=f"sent-{draft_id}", thread_id="t1")

    async def delete_draft(self, inbox_id: str, draft_id: str) -> None:
        if self.drafts.pop(draft_id, None) is None:
            raise MailNotFound(f"draft {draft_id}")

    async def get_thread(self, inbox_id: str, thread_id: str) -> MailThread:
        customers = [
            ThreadMessage(
                id=m.message_id, outbound=False, from_address=m.from_address, plain_body=m.plain_body
            )
            for m in self.inbound
            if m.thread_id == thread_id
        ]
        return MailThread(thread_id=thread_id, messages=customers + list(self.sent.values()))


def customer_mail(text: str, *, sender: str = "ann@example.org", thread_id: str = "t1") -> InboundMessage:
    return InboundMessage(
        message_id=f"msg_{uuid.uuid4().hex[:10]}",
        inbox_id=INBOX,
        thread_id=thread_id,
        from_address=sender,
        subject=text,
        plain_body=text,
        received_at=datetime.now(UTC),
    )


def test_both_providers_satisfy_the_protocol(settings):
    assert isinstance(MemoryMail(), MailProvider)
    assert isinstance(MemorySubscription(asyncio.Queue()), MailSubscription)
    built = build_mail_provider(settings)
    assert isinstance(built, MyAgentMailProvider) and isinstance(built, MailProvider)


# ---- the activities over the in-memory provider -----------------------------------------


async def test_the_activities_run_on_any_provider():
    question = customer_mail("Where is my parcel?")
    mail = MemoryMail([question])
    activities = MailActivities(mail)
    env = ActivityEnvironment()
    save = SaveDraftRequest(
        inbox_id=INBOX,
        reply_to_message_id=question.message_id,
        to=["ann@example.org"],
        subject="Re: parcel",
        body="v1",
    )

    draft_id = await env.run(activities.save_draft, save)
    # A retried first save (its answer lost) finds the draft instead of making a second one.
    env.info = dataclasses.replace(env.info, attempt=2)
    assert await env.run(activities.save_draft, save.model_copy(update={"body": "v2"})) == draft_id
    assert len(mail.drafts) == 1 and mail.drafts[draft_id].plain_body == "v2"

    send = SendDraftRequest(
        inbox_id=INBOX, draft_id=draft_id, reply_to_message_id=question.message_id, thread_id="t1"
    )
    first = await env.run(activities.send_draft, send)
    again = await env.run(activities.send_draft, send)  # the draft is gone: the thread tells it went out
    assert not first.already_sent and again.already_sent and again.message_id == first.message_id

    await env.run(
        activities.discard_draft, DiscardDraftRequest(inbox_id=INBOX, draft_id=draft_id)
    )  # gone: fine
    view = await env.run(
        activities.thread_history, ThreadRequest(inbox_id=INBOX, thread_id="t1", message_id=first.message_id)
    )
    assert view.earlier_inbound_ids == [question.message_id] and view.earlier[0].text == "Where is my parcel?"


# ---- each neutral error, as Temporal sees it --------------------------------------------


class FailingMail(MemoryMail):
    def __init__(self, error: MailError) -> None:
        super().__init__()
        self.error = error

    async def get_thread(self, inbox_id: str, thread_id: str) -> MailThread:
        raise self.error


@pytest.mark.parametrize(
    ("error", "error_type", "non_retryable", "delay", "details"),
    [
        (MailNotFound("gone", status=404, code="NOT_FOUND"), "MailNotFound", True, None, [404, "NOT_FOUND"]),
        (
            MailRateLimited("slow down", retry_after=timedelta(seconds=7), status=429),
            "MailRateLimited",
            False,
            timedelta(seconds=7),
            [429, ""],
        ),
        (MailRateLimited("slow down", status=429), "MailRateLimited", False, None, [429, ""]),
        (
            MailUnavailable("down", status=503, code="INTERNAL_ERROR"),
            "MailServerError",
            False,
            None,
            [503, "INTERNAL_ERROR"],
        ),
        (
            MailRejected("paused", status=403, code="FORBIDDEN"),
            "MailClientError",
            True,
            None,
            [403, "FORBIDDEN"],
        ),
        (MailRejected("conflict", retryable=True, status=409), "MailClientError", False, None, [409, ""]),
        (MailUnreachable("timed out"), "MailTransportError", False, None, []),
        (MailSubscriptionLost("socket closed"), "MailTransportError", False, None, []),
        (MailBadResponse("a proxy's page"), "MailBadResponse", False, None, []),
        (MailError("something else"), "MailError", False, None, []),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, MailError) else None,
)
async def test_activities_map_each_mail_error_to_its_application_error(
    error, error_type, non_retryable, delay, details
):
    activities = MailActivities(FailingMail(error))
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            activities.thread_history, ThreadRequest(inbox_id=INBOX, thread_id="t1", message_id="m1")
        )
    assert raised.value.type == error_type
    assert raised.value.non_retryable is non_retryable
    assert raised.value.next_retry_delay == delay
    assert list(raised.value.details) == details
    assert raised.value.__cause__ is error and str(error) in str(raised.value)


# ---- the watcher over the in-memory provider --------------------------------------------


async def test_the_watcher_subscribes_catches_up_and_starts_on_any_provider(dev_env, task_queue):
    waiting = customer_mail("Sent while the watcher was away")
    mail = MemoryMail([waiting])
    settings = Settings(temporal_task_queue=task_queue, inbox_id=INBOX)
    watcher = InboxWatcher(dev_env.client, mail, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    try:
        async with asyncio.timeout(15):
            await watcher.ready.wait()
        assert mail.log[:2] == [
            "subscribed",
            "listed",
        ]  # catch up only once subscribed: nothing falls between
        fresh = customer_mail("Pushed while subscribed", sender="bob@example.org")
        mail.pushed.put_nowait(fresh)
        mail.pushed.put_nowait(customer_mail("loop", sender=OWN_ADDRESS))  # our own mail is never triaged
        mail.pushed.put_nowait(waiting)  # a redelivery starts nothing new
        async with asyncio.timeout(15):
            while watcher.stats.started + watcher.stats.skipped + watcher.stats.duplicates < 4:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    assert (watcher.stats.started, watcher.stats.skipped, watcher.stats.duplicates) == (2, 1, 1)
    for message in (waiting, fresh):
        described = await dev_env.client.get_workflow_handle(workflow_id_for(message.message_id)).describe()
        assert described.task_queue == task_queue
