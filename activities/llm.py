"""Classify and draft activities over whichever provider the worker runs.

Output the model cannot be trusted with (refusals, invalid JSON) is not
retried: it becomes a review-only result, because the safe answer to doubt is
a human, not another roll of the dice. Transport errors propagate so that
Temporal retries them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from temporalio import activity

from triage.domain.models import (
    DEFAULT_BRAND_NAME,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    Judgement,
    JudgeRequest,
    LlmUsage,
)
from triage.domain.replies import holding_reply
from triage.judging.base import ProviderOutputError, TriageProvider
from triage.judging.call_slots import CallSlots, message_order
from triage.judging.checked import classify_checked
from triage.runtime.telemetry import annotate

# Seconds between heartbeats: well inside the workflows' heartbeat timeout (workflows/triage_calls.py).
HEARTBEAT_EVERY = 5.0

P = ParamSpec("P")
R = TypeVar("R")


def heartbeating(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Heartbeat every few seconds while the activity runs. On a starved machine a judge can
    lose a task it was given (the server counts it started, the worker never runs it): with a
    heartbeat timeout it is retried within seconds, not after the LLM calls' whole time limit."""

    @functools.wraps(run)
    async def beating(*args: P.args, **kwargs: P.kwargs) -> R:
        async def beat() -> None:
            while True:
                activity.heartbeat()
                await asyncio.sleep(HEARTBEAT_EVERY)

        beater = asyncio.create_task(beat())
        try:
            return await run(*args, **kwargs)
        finally:
            beater.cancel()

    return beating


def oldest_first(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """The activity's LLM calls wait for a slot in the order its message came to this worker
    (``triage.judging.call_slots``): an older message's draft before a newer one's classify."""

    @functools.wraps(run)
    async def ordered(*args: P.args, **kwargs: P.kwargs) -> R:
        with message_order():
            return await run(*args, **kwargs)

    return ordered


def _count_tokens(usage: LlmUsage | None) -> None:
    if usage is not None:
        activity.metric_meter().create_counter("triage_llm_tokens", "LLM tokens by model").add(
            usage.total_tokens, {"model": usage.model, "provider": usage.provider}
        )


class LlmActivities:
    def __init__(
        self, provider: TriageProvider, concurrency: int = 8, brand: str = DEFAULT_BRAND_NAME
    ) -> None:
        self._provider = provider
        self._brand = brand  # signs the holding reply
        # Bounds in-flight LLM calls per worker, whatever the activity slots allow. The provider
        # holds a slot only while a request is in flight: the CPU work around it (the checks, the
        # first pass, the answer match, the rendering) never keeps another message's call waiting.
        provider.limit_calls(CallSlots(concurrency))

    @activity.defn
    @heartbeating
    @oldest_first
    async def classify(self, message: InboundMessage) -> Classification:
        result = await classify_checked(self._provider, message)
        if GuardFlag.INVALID_OUTPUT in result.guard_flags:
            activity.logger.warning("classifier output unusable: %s", result.reason)
        _count_tokens(result.usage)
        annotate(
            category=result.category.value,
            confidence=result.confidence,
            guard_flags=len(result.guard_flags),
            model=result.usage.model if result.usage else None,
            tokens=result.usage.total_tokens if result.usage else None,
        )
        return result

    @activity.defn
    @heartbeating
    @oldest_first
    async def judge(self, request: JudgeRequest) -> Judgement:
        """Classify, then draft (unless the request or the classification says no reply is
        drafted). A failed draft does not fail the classification: the workflow drafts again
        with the draft activity's own retries."""
        classification = await self.classify(request.message)
        if not request.draft or (classification.closing and not request.draft_closing):
            return Judgement(classification=classification)
        try:
            reply = await self.draft_reply(
                DraftRequest(message=request.message, classification=classification, thread=request.thread)
            )
        except Exception as err:
            activity.logger.warning("drafting failed, the workflow drafts again: %s", err)
            return Judgement(classification=classification, draft_error=f"{type(err).__name__}: {err}"[:500])
        return Judgement(classification=classification, reply=reply)

    @activity.defn
    @heartbeating
    @oldest_first
    async def draft_reply(self, request: DraftRequest) -> DraftReply:
        try:
            reply = await self._provider.draft(request)
            _count_tokens(reply.usage)
            annotate(
                grounded=reply.grounded,
                citations=len(reply.citations),
                tokens=reply.usage.total_tokens if reply.usage else None,
            )
            return reply
        except ProviderOutputError as err:
            activity.logger.warning("drafter output unusable: %s", err)
            return DraftReply(body=holding_reply(self._brand), grounded=False)
