"""Scopes: what a mode is set for (a category, or a knowledge-base article), as the book names them."""

from __future__ import annotations

from collections.abc import Collection

from triage.domain.models import Category

CATEGORY = "category"


ARTICLE = "article"


def category_scope(category: Category) -> str:
    return f"{CATEGORY}:{category.value}"


def article_scope(article_id: str) -> str:
    return f"{ARTICLE}:{article_id}"


def unknown_scope(scope: str, articles: Collection[str]) -> str | None:
    """Why a scope names nothing that exists (a category, or an article of the knowledge base), or None."""
    kind, _, name = scope.partition(":")
    if kind == CATEGORY and name not in {c.value for c in Category}:
        return f"no category {name!r} (categories: {', '.join(c.value for c in Category)})"
    if kind == ARTICLE and name not in articles:
        return f"no article {name!r} in the knowledge base"
    return None


def scopes_of(category: Category, article_id: str | None) -> list[str]:
    """Most specific first: an article's own mode wins over its category's."""
    scopes = [article_scope(article_id)] if article_id else []
    return [*scopes, category_scope(category)]
