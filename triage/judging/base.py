"""The provider interface every LLM backend implements.

Activities call providers; workflows never do. A provider raises
``ProviderOutputError`` for output it cannot trust (invalid JSON, refusal,
schema violation): the classify/draft activities turn that into a
review-only result instead of retrying, because asking again rarely fixes a
model that refuses. Transport errors (timeouts, 429, 5xx) propagate as
``temporalio.exceptions.ApplicationError`` so Temporal owns retries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from triage.domain.models import Classification, DraftReply, DraftRequest, InboundMessage
from triage.judging.call_slots import CallSlots


class ProviderOutputError(Exception):
    """The model answered, but its answer is unusable (refused, invalid, off-schema)."""


class TriageProvider(ABC):
    name: str

    @abstractmethod
    async def classify(self, message: InboundMessage) -> Classification: ...

    @abstractmethod
    async def draft(self, request: DraftRequest) -> DraftReply: ...

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients (HTTP pools) held by the provider."""

    def limit_calls(self, slots: CallSlots) -> None:  # noqa: B027 - optional hook
        """Hold one of ``slots`` while each request to a remote model is in flight (none here)."""
