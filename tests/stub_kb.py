"""A knowledge base with fixed hits, for the provider tests against the fake and the real model server."""

from __future__ import annotations

from dataclasses import dataclass

from triage.domain.models import KbAnswer


@dataclass(frozen=True)
class StubArticle:
    id: str
    title: str
    url: str | None
    body: str
    categories: tuple[str, ...] = ()


class StubKb:
    """Same ``search`` as triage.judging.kb.KnowledgeBase, with fixed hits."""

    def __init__(self, hits: list[tuple[StubArticle, float]], answer: KbAnswer | None = None) -> None:
        self.hits = hits
        self.queries: list[str] = []
        self._answer = answer

    def search(self, text: str, k: int = 3) -> list[tuple[StubArticle, float]]:
        self.queries.append(text)
        return self.hits[:k]

    def answer(self, subject: str, body: str) -> KbAnswer | None:
        return self._answer

    def article(self, article_id: str) -> StubArticle | None:
        return next((a for a in (*ARTICLES, *(h for h, _ in self.hits)) if a.id == article_id), None)


RESET = StubArticle(
    id="password-reset",
    title="Reset your password",
    url="https://help.example.com/password-reset",
    body="Use the 'Forgot password' link on the sign-in page; the link is valid for one hour.",
)
BILLING = StubArticle(
    id="invoices", title="Find your invoices", url=None, body="Invoices are under Settings."
)
ARTICLES = (RESET, BILLING)
RESET_ANSWER = KbAnswer(article_id="password-reset", question="How do I reset my password?", score=0.9)
