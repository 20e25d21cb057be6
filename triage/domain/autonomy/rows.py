"""What ``triage autonomy`` and the dashboard's autonomy page show: one row per scope."""

from __future__ import annotations

from pydantic import BaseModel

from triage.domain.autonomy.book import AutonomyBook, AutonomySettings, Disagreement, ScopeRecord, Tally
from triage.domain.autonomy.rules import default_mode, mode_in_force, own_mode
from triage.domain.autonomy.scopes import ARTICLE, article_scope, category_scope
from triage.domain.models import AutonomyMode, Category, ModeSource


class ScopeRow(BaseModel):
    """One line of ``triage autonomy`` and the dashboard's autonomy page."""

    scope: str
    kind: str
    name: str
    mode: AutonomyMode
    source: ModeSource
    shadow_verdicts: int  # shadow verdicts since the mode last changed: what promotion reads
    needed: int
    window: Tally  # every verdict in the rolling window
    agree_rate: float | None
    last_disagreement: Disagreement | None = None


def rows(
    book: AutonomyBook, settings: AutonomySettings, categories: list[Category] | None = None
) -> list[ScopeRow]:
    """Every category (or those given), then every article the book or the config knows."""
    wanted = [category_scope(c) for c in (categories if categories is not None else list(Category))]
    articles = sorted(
        {s for s in book.scopes if s.startswith(ARTICLE)} | {article_scope(a) for a in settings.articles}
    )
    result = []
    for scope in [*wanted, *articles]:
        record = book.scopes.get(scope, ScopeRecord())
        window = Tally()
        for tally in record.days.values():
            for name in Tally.model_fields:
                setattr(window, name, getattr(window, name) + getattr(tally, name))
        kind, _, name = scope.partition(":")
        if kind == ARTICLE and record.category is not None:
            current = mode_in_force(book, settings, record.category, name)
        else:
            current = own_mode(book, settings, scope) or default_mode(settings)
        result.append(
            ScopeRow(
                scope=scope,
                kind=kind,
                name=name,
                mode=current.mode,
                source=current.source,
                shadow_verdicts=record.since_change.verdicts,
                needed=settings.promote_after,
                window=window,
                agree_rate=window.agree_rate,
                last_disagreement=record.last_disagreement,
            )
        )
    return result
