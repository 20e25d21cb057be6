"""Earned autonomy: which answers may go out alone, and the record that earns it.

A team should not switch automatic replies on faith. Every category and every
knowledge-base article has a *mode*:

* ``review``: a human sees everything, even what the policy would send;
* ``shadow``: the policy decides, but what it would have sent waits for a
  human, marked "would have been sent automatically";
* ``auto``: the policy decides and sends.

Each reply the policy would have sent is a *verdict* when its workflow closes:
approved unchanged (agree); edited, redrafted, rejected or recategorised
(disagree); expired (no verdict). An automatically sent reply that a reviewer
flags as wrong is a disagreement too. The :class:`AutonomyBook` keeps those
counts per article and per category; :func:`record_verdict` promotes a scope
from shadow to auto once it has earned it, :func:`record_flag` demotes at once.

Everything here is a pure function over plain models: the per-inbox autonomy
workflow (``workflows/autonomy.py``) holds the book and calls them, so the
rules are table-tested and replay the same way.


The package: ``scopes`` (what a mode is set for), ``book`` (the models the workflow
keeps), ``rules`` (the pure functions over them), ``rows`` (what the CLI and dashboard show).
Import from ``triage.domain.autonomy``.
"""

from triage.domain.autonomy.book import (
    AutonomyBook,
    AutonomySettings,
    AutonomyState,
    Disagreement,
    FlagReport,
    ModeChange,
    ModeLookup,
    ModeRequest,
    ScopeRecord,
    Tally,
    Verdict,
    VerdictReport,
    book_of_overrides,
    overrides_of,
)
from triage.domain.autonomy.rows import (
    ScopeRow,
    rows,
)
from triage.domain.autonomy.rules import (
    MAX_CHANGES,
    MAX_OVERRIDES,
    day_of,
    default_mode,
    governing_mode,
    mode_in_force,
    own_mode,
    record_flag,
    record_verdict,
    set_mode,
    too_many_scopes,
    verdict_for,
)
from triage.domain.autonomy.scopes import (
    ARTICLE,
    CATEGORY,
    article_scope,
    category_scope,
    scopes_of,
    unknown_scope,
)

__all__ = [
    "ARTICLE",
    "CATEGORY",
    "MAX_CHANGES",
    "MAX_OVERRIDES",
    "AutonomyBook",
    "AutonomySettings",
    "AutonomyState",
    "Disagreement",
    "FlagReport",
    "ModeChange",
    "ModeLookup",
    "ModeRequest",
    "ScopeRecord",
    "ScopeRow",
    "Tally",
    "Verdict",
    "VerdictReport",
    "article_scope",
    "book_of_overrides",
    "category_scope",
    "day_of",
    "default_mode",
    "governing_mode",
    "mode_in_force",
    "overrides_of",
    "own_mode",
    "record_flag",
    "record_verdict",
    "rows",
    "scopes_of",
    "set_mode",
    "too_many_scopes",
    "unknown_scope",
    "verdict_for",
]
