"""The offline model in front of the LLM: fewer LLM calls, and a second opinion."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from pydantic import SecretStr

from tests.helpers import message, valid_classification
from tests.replies import answered_reply
from triage.dev.fake_openai import FakeOpenAI, FakeReply, fake_openai
from triage.domain.models import Category, GuardFlag, PolicySettings
from triage.domain.policy import decide
from triage.judging.factory import build_provider
from triage.judging.first_pass import FirstPassProvider
from triage.runtime.config import Settings

BUG_REPORT = (
    "Steps to reproduce: open a project, click Export > CSV.\n"
    "Expected: a CSV file. Actual: HTTP 500 and TypeError: cannot read properties of undefined in the console."
)


@pytest_asyncio.fixture(loop_scope="session")
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with fake_openai() as fake:
        yield fake


def first_pass(llm: FakeOpenAI, **overrides) -> FirstPassProvider:
    settings = Settings(
        provider="openai",
        openai_api_key=SecretStr(llm.api_key or "k"),
        openai_base_url=llm.base_url,
        **overrides,
    )
    provider = build_provider(settings)
    assert isinstance(provider, FirstPassProvider)
    return provider


async def test_a_confident_sensitive_message_costs_no_llm_call(llm: FakeOpenAI):
    provider = first_pass(llm)
    before = len(llm.requests)
    result = await provider.classify(
        message(
            "Invoice and refund",
            "I was charged twice for my subscription. Please send the invoice and refund me.",
        )
    )
    assert result.category is Category.BILLING
    assert len(llm.requests) == before
    assert result.usage is not None and result.usage.provider == "offline"
    assert result.reason.startswith("first pass")


async def test_a_routine_message_is_classified_by_the_llm(llm: FakeOpenAI):
    provider = first_pass(llm)
    llm.enqueue(FakeReply.json(valid_classification(category="faq", confidence=0.95, guard_flags=[])))
    before = len(llm.requests)
    result = await provider.classify(message())
    assert len(llm.requests) == before + 1
    assert result.category is Category.FAQ and result.usage is not None and result.usage.provider == "openai"
    assert GuardFlag.MODEL_DISAGREEMENT not in result.guard_flags


async def test_disagreement_about_routine_goes_to_review(llm: FakeOpenAI):
    # Threshold 1.0: the first pass never skips, so the LLM is asked and overruled.
    provider = first_pass(llm, first_pass_confidence=1.0)
    llm.enqueue(FakeReply.json(valid_classification(category="general", confidence=0.97, guard_flags=[])))
    result = await provider.classify(message("Export broken", BUG_REPORT))
    assert result.category is Category.GENERAL
    assert GuardFlag.MODEL_DISAGREEMENT in result.guard_flags
    assert not decide(result, answered_reply(), PolicySettings()).auto_send


async def test_off_switch_gives_the_plain_llm(llm: FakeOpenAI):
    settings = Settings(
        provider="openai", openai_api_key=SecretStr("k"), openai_base_url=llm.base_url, first_pass=False
    )
    assert build_provider(settings).name == "openai"
