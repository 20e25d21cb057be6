"""Draft replies for policy checks: one that passes every answer gate, so a test
that expects a refusal sees the one reason it is about."""

from __future__ import annotations

from triage.domain.models import DraftReply, KbAnswer, KbCitation


def answered_reply(
    score: float = 0.9,
    grounded: bool = True,
    cited: bool = True,
    article_language: str | None = None,
    **answer,
) -> DraftReply:
    kb_answer = KbAnswer(
        article_id="password-reset", question="How do I reset my password?", score=score, **answer
    )
    citations = [KbCitation(article_id="password-reset", title="Reset your password")] if cited else []
    return DraftReply(
        body="Hello, ...",
        citations=citations,
        grounded=grounded,
        answer=kb_answer,
        article_language=article_language,
    )
