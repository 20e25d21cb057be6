"""A provider whose answers the test chooses, through markers in the subject.

Workflow-path tests need exact control over category, confidence and
grounding; everything around the provider (Temporal, activities, the mail
emulator) stays real. ``[billing 0.95 grounded]`` in a subject means: billing,
confidence 0.95, KB support found. ``[fail-classify]`` raises an unusable-output
error; ``[crash-draft]`` raises a transport-like error every time.
"""

from __future__ import annotations

import re

from temporalio.exceptions import ApplicationError

from triage.domain.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    InboundMessage,
    KbAnswer,
    KbCitation,
    LlmUsage,
)
from triage.judging.base import ProviderOutputError, TriageProvider

_MARKER = re.compile(r"\[(?P<category>[a-z_]+) (?P<confidence>[0-9.]+)(?P<grounded> grounded)?\]")

USAGE = LlmUsage(provider="scripted", model="scripted-1", prompt_tokens=10, completion_tokens=5)


def subject(category: str, confidence: float, grounded: bool = True, text: str = "") -> str:
    return f"[{category} {confidence}{' grounded' if grounded else ''}] {text}".strip()


class ScriptedProvider(TriageProvider):
    name = "scripted"

    def __init__(self) -> None:
        self.draft_calls: list[DraftRequest] = []

    async def classify(self, message: InboundMessage) -> Classification:
        if "[fail-classify]" in message.subject:
            raise ProviderOutputError("model refused")
        match = _MARKER.search(message.subject)
        if not match:
            return Classification(category=Category.GENERAL, confidence=0.5, usage=USAGE)
        return Classification(
            category=Category(match["category"]),
            confidence=float(match["confidence"]),
            reason="scripted",
            usage=USAGE,
        )

    async def draft(self, request: DraftRequest) -> DraftReply:
        if "[crash-draft]" in request.message.subject:
            raise ApplicationError("LLM unreachable", non_retryable=True)
        self.draft_calls.append(request)
        grounded = bool(_MARKER.search(request.message.subject) and "grounded]" in request.message.subject)
        revision = len([c for c in self.draft_calls if c.message.message_id == request.message.message_id])
        body = f"Scripted reply #{revision} to: {request.message.subject}"
        if request.instructions:
            body += "\n(revised on a reviewer's request)"  # instructions are never text of a reply
        citations = [KbCitation(article_id="password-reset", title="Reset your password")] if grounded else []
        # "grounded" scripts the whole answer: the article's declared question matches too.
        answer = KbAnswer(article_id="password-reset", question="How do I reset my password?", score=0.9)
        return DraftReply(
            body=body,
            citations=citations,
            grounded=grounded,
            answer=answer if grounded else None,
            usage=USAGE,
        )
