"""The table of ``triage reviews``: one row per review, fitted to the terminal's width."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from rich.table import Table

from triage.domain.contracts import WORKFLOW_ID_PREFIX
from triage.domain.policy import GUARD_FLAGS_PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starter.review import ReviewSummary
    from triage.domain.models import TriageState


# The reviews table: (key, header, keep priority: the lowest goes first when the terminal is narrow).
_COLUMNS: list[tuple[str, str, int]] = [
    ("id", "id", 100),
    ("status", "status", 55),
    ("category", "category", 70),
    ("age", "age", 60),
    ("from", "from", 85),
    ("subject", "subject", 90),
    ("why", "why it waits", 88),
    ("confidence", "conf.", 10),
    ("reviewer", "reviewer", 20),
]
# What a row is for: shortened, never dropped, while the terminal is at least 80 columns wide.
ESSENTIAL = ("id", "subject", "from", "why")
_FLEXIBLE = {"subject": 12, "from": 10, "why": 12}  # shortened with an ellipsis, down to this width
# Another column is added only while these keep this much room (or all they need).
_COMFORTABLE = {"subject": 24, "from": 18, "why": 24}
_GAP = 2  # a column's right padding + the next one's left padding


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def review_rows(
    page: list[ReviewSummary], states: Mapping[str, TriageState | None], now: datetime
) -> list[dict[str, str]]:
    rows = []
    for r in page:
        state = states.get(r.workflow_id)
        reasons = state.policy_decision.reasons if state and state.policy_decision else []
        since = (state.review_started_at if state else None) or r.started_at
        rows.append(
            {
                # The message id: every command takes it, and it is 7 characters shorter.
                "id": r.workflow_id.removeprefix(WORKFLOW_ID_PREFIX),
                "status": r.status.value if r.status else "",
                "category": r.category.value if r.category else "",
                "age": _age(now - since) if since else "",
                "from": (parseaddr(state.message.from_address)[1] or state.message.from_address)
                if state
                else "",
                "subject": (state.message.subject or "(no subject)") if state else "",
                # The policy puts the cause first; a column headed "why it waits" needs no "guard flags:".
                "why": reasons[0].removeprefix(GUARD_FLAGS_PREFIX) if reasons else "",
                "confidence": f"{r.confidence:.2f}" if r.confidence is not None else "",
                "reviewer": r.reviewer or "",
            }
        )
    return rows


def _layout(
    rows: list[dict[str, str]], keys: list[str], width: int, least: dict[str, int] = _FLEXIBLE
) -> dict[str, int] | None:
    """Column widths that fit ``width`` with every id whole, or None if these columns cannot fit."""
    natural = {k: max([len(_header(k)), *(len(row[k]) for row in rows)]) for k in keys}
    fixed = sum(w for k, w in natural.items() if k not in _FLEXIBLE)
    room = width - fixed - _GAP * (len(keys) - 1)
    flexible = sorted((k for k in keys if k in _FLEXIBLE), key=lambda k: natural[k])
    if room < sum(min(natural[k], least.get(k, _FLEXIBLE[k])) for k in flexible):
        return None
    widths = dict(natural)
    for i, key in enumerate(flexible):  # the narrowest first; what it leaves goes to the wider ones
        share = room // (len(flexible) - i)
        widths[key] = min(natural[key], max(share, _FLEXIBLE[key]))
        room -= widths[key]
    return widths


def _header(key: str) -> str:
    return next(header for k, header, _ in _COLUMNS if k == key)


def natural_width(rows: list[dict[str, str]], *, with_status: bool) -> int:
    """How wide the table is with every column whole (``triage reviews --wide``)."""
    keys = _wanted(rows, with_status)
    return sum(max([len(_header(k)), *(len(row[k]) for row in rows)]) for k in keys) + _GAP * (len(keys) - 1)


def _wanted(rows: list[dict[str, str]], with_status: bool) -> list[str]:
    wanted = [k for k, _, _ in _COLUMNS if k != "status" or with_status]
    return [k for k in wanted if k != "reviewer" or any(row["reviewer"] for row in rows)]


def reviews_table(rows: list[dict[str, str]], width: int, *, with_status: bool) -> Table:
    """The table for ``triage reviews``: ids whole, the least useful columns dropped to fit ``width``.

    The essential columns are shortened first and dropped only when even shortened they do not fit.
    """
    wanted = _wanted(rows, with_status)
    order = {k: i for i, (k, _, _) in enumerate(_COLUMNS)}
    essential = sorted(ESSENTIAL, key=order.__getitem__)
    start = _layout(rows, essential, width)
    keys, widths = (essential, start) if start is not None else (["id"], _layout(rows, ["id"], width))
    # The most useful columns first, each only if the table still fits.
    for key in sorted(wanted, key=lambda k: -next(p for c, _, p in _COLUMNS if c == k)):
        candidate = sorted({*keys, key}, key=order.__getitem__)
        if candidate == keys:
            continue
        if _layout(rows, candidate, width, _COMFORTABLE) is None and start is not None:
            continue  # the essential columns would be shortened too far for it
        layout = _layout(rows, candidate, width)
        if layout is not None:
            keys, widths = candidate, layout
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold", expand=False)
    for key in keys:  # an id folds (only in a terminal narrower than it); the rest end in "…"
        whole = key == "id"
        table.add_column(
            _header(key),
            width=(widths or {}).get(key),
            no_wrap=not whole,
            overflow="fold" if whole else "ellipsis",
        )
    for row in rows:
        table.add_row(*(row[k] for k in keys))
    return table
