"""The offline model as a cheap first pass in front of an LLM.

The offline classifier costs milliseconds and no tokens, so it reads every
message before the LLM does:

* a message it puts, with high confidence, in a category that always goes to
  review is not classified by the LLM at all: a human sees it either way;
* when the LLM calls a message routine and the offline model is confident it
  is not, the two disagree about the one thing that matters (may this go out
  unseen?), so the message goes to review.

Drafting is always the LLM's.
"""

from __future__ import annotations

from collections.abc import Collection

from triage.domain.models import Category, Classification, DraftReply, DraftRequest, GuardFlag, InboundMessage
from triage.judging.base import TriageProvider
from triage.judging.call_slots import CallSlots

# The offline model's own best guess is not routine: enough to want a human.
DISPUTES_AT = 0.5


class FirstPassProvider(TriageProvider):
    def __init__(
        self,
        first: TriageProvider,
        llm: TriageProvider,
        routine: Collection[Category],
        confident: float,
    ) -> None:
        self._first = first
        self._llm = llm
        self._routine = frozenset(routine)
        self._confident = confident
        self.name = f"{llm.name}+{first.name}"

    async def classify(self, message: InboundMessage) -> Classification:
        quick = await self._first.classify(message)
        sure_not_routine = quick.category not in self._routine and quick.confidence >= self._confident
        if sure_not_routine:
            return quick.model_copy(update={"reason": f"first pass, no LLM call: {quick.reason}"})
        result = await self._llm.classify(message)
        disputed = quick.category not in self._routine and quick.confidence >= DISPUTES_AT
        if result.category in self._routine and disputed:
            flags = sorted({*result.guard_flags, GuardFlag.MODEL_DISAGREEMENT})
            return result.model_copy(update={"guard_flags": flags})
        return result

    async def draft(self, request: DraftRequest) -> DraftReply:
        return await self._llm.draft(request)

    def limit_calls(self, slots: CallSlots) -> None:
        self._llm.limit_calls(slots)  # the first pass makes no call

    async def aclose(self) -> None:
        await self._llm.aclose()
        await self._first.aclose()
