"""The help-centre knowledge base: Markdown articles with a small front matter,
retrieved by TF-IDF cosine similarity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

KB_MIN_SCORE = 0.12
_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*\n(.*)$", re.DOTALL)


class Article(BaseModel):
    id: str
    title: str
    url: str | None = None
    tags: list[str] = Field(default_factory=list)
    # The categories whose messages this article answers; empty means any. An
    # article on reporting bugs is cited for a bug report, but is no reason to
    # auto-send a reply to a message classified as routine.
    categories: list[str] = Field(default_factory=list)
    body: str


class HasCategories(Protocol):
    @property
    def categories(self) -> Sequence[str]: ...


def answers(article: HasCategories, category: str) -> bool:
    """Does ``article`` support a reply to a message in ``category``?"""
    return not article.categories or category in article.categories


def parse_article(text: str, fallback_id: str) -> Article:
    match = _FRONT.match(text)
    meta: dict[str, object] = {}
    body = text
    if match:
        body = match.group(2)
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if not sep:
                continue
            value = value.strip()
            if value.startswith("[") and value.endswith("]"):
                meta[key.strip()] = [v.strip() for v in value[1:-1].split(",") if v.strip()]
            else:
                meta[key.strip()] = value
    meta.setdefault("id", fallback_id)
    meta.setdefault("title", fallback_id.replace("-", " ").capitalize())
    return Article(body=body.strip(), **meta)


class KnowledgeBase:
    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), strip_accents="unicode")
        docs = [f"{a.title} {a.title} {' '.join(a.tags)} {' '.join(a.tags)} {a.body}" for a in articles]
        self._matrix = self._vectorizer.fit_transform(docs) if articles else None

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        if directory is not None:
            files = sorted(Path(directory).glob("*.md"))
            return cls([parse_article(f.read_text(encoding="utf-8"), f.stem) for f in files])
        package = resources.files("triage").joinpath("kb")
        entries = sorted((e for e in package.iterdir() if e.name.endswith(".md")), key=lambda e: e.name)
        return cls([parse_article(e.read_text(encoding="utf-8"), e.name[:-3]) for e in entries])

    def search(self, text: str, k: int = 3) -> list[tuple[Article, float]]:
        if self._matrix is None or not text.strip():
            return []
        scores = linear_kernel(self._vectorizer.transform([text]), self._matrix)[0]
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [(self.articles[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def best(self, text: str) -> tuple[Article, float] | None:
        """The most relevant article, if it is relevant enough to answer from."""
        hits = self.search(text, k=1)
        return hits[0] if hits and hits[0][1] >= KB_MIN_SCORE else None

    def supported(self, text: str, category: str) -> bool:
        hit = self.best(text)
        return hit is not None and answers(hit[0], category)
