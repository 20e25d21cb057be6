"""TRIAGE_LLM_CONCURRENCY bounds the requests in flight, and only them.

Against the fake OpenAI-compatible server over HTTP, through the real ``openai``
client and the judge's activities: a slot is held while a request is in flight,
never during the work around it (the first pass, the checks, the answer match),
which would keep another message's call waiting (``bench.slow_llm``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from openai import AsyncOpenAI, DefaultAsyncHttpxClient
from temporalio.testing import ActivityEnvironment

from activities.llm import LlmActivities
from triage.dev.fake_openai import fake_openai
from triage.domain.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    InboundMessage,
    JudgeRequest,
)
from triage.judging.openai_provider import OpenAIProvider


def draft_request(subject: str = "Password") -> DraftRequest:
    message = InboundMessage(
        message_id="m1",
        inbox_id="support",
        from_address="ann@example.org",
        subject=subject,
        plain_body="Reset?",
    )
    return DraftRequest(message=message, classification=Classification(category=Category.FAQ, confidence=0.9))


class Counted(OpenAIProvider):
    """Counts the requests in flight at the HTTP client; ``before_draft`` runs outside the call."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.in_flight = self.most = 0
        self.before_draft: asyncio.Event | None = None
        http = DefaultAsyncHttpxClient(event_hooks={"request": [self._sent], "response": [self._answered]})
        client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=10, http_client=http)
        super().__init__(client, "classify-model", "draft-model", None)

    async def _sent(self, request: Any) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)

    async def _answered(self, response: Any) -> None:
        self.in_flight -= 1

    async def draft(self, request: DraftRequest) -> DraftReply:
        if self.before_draft is not None and request.message.subject == "first":
            await self.before_draft.wait()  # work of this message's own, before its call
        return await super().draft(request)


async def test_no_more_requests_in_flight_than_the_limit():
    async with fake_openai(delay=0.2) as llm:
        provider = Counted(llm.base_url, llm.api_key)
        activities = LlmActivities(provider, concurrency=2)
        try:
            await asyncio.gather(
                *(ActivityEnvironment().run(activities.draft_reply, draft_request()) for _ in range(6))
            )
        finally:
            await provider.aclose()
    assert len(llm.requests) == 6 and provider.most == 2


async def test_work_around_a_call_holds_no_slot():
    """One slot: the first message's pre-call work waits until the second message's request
    has reached the server, which it could not if the first held the slot meanwhile."""
    async with fake_openai() as llm:
        provider = Counted(llm.base_url, llm.api_key)
        provider.before_draft = asyncio.Event()
        activities = LlmActivities(provider, concurrency=1)
        first = draft_request("first")
        try:
            waiting = asyncio.create_task(ActivityEnvironment().run(activities.draft_reply, first))
            await asyncio.sleep(0)  # the first one starts first
            async with asyncio.timeout(10):
                await ActivityEnvironment().run(activities.draft_reply, draft_request())
            provider.before_draft.set()
            await waiting
        finally:
            await provider.aclose()
    assert len(llm.requests) == 2


async def test_an_older_messages_draft_is_sent_before_a_newer_message_is_classified():
    """One slot, three messages judged at once (classify, then draft): the calls reach the
    server oldest message first, a's draft before c's classification (``CallSlots``)."""
    async with fake_openai(delay=0.2) as llm:
        provider = Counted(llm.base_url, llm.api_key)
        activities = LlmActivities(provider, concurrency=1)
        requests = [
            JudgeRequest(
                message=draft_request(f"Password {name}").message.model_copy(update={"message_id": name})
            )
            for name in "abc"
        ]
        try:
            judged = await asyncio.gather(
                *(ActivityEnvironment().run(activities.judge, request) for request in requests)
            )
        finally:
            await provider.aclose()
    assert all(j.reply is not None for j in judged)
    calls = [
        (
            "draft" if "body" in r.schema.get("properties", {}) else "classify",
            r.user_prompt.split("Password ")[1][0],
        )
        for r in llm.requests
    ]
    assert calls == [
        ("classify", "a"),
        ("classify", "b"),
        ("draft", "a"),
        ("draft", "b"),
        ("classify", "c"),
        ("draft", "c"),
    ]
