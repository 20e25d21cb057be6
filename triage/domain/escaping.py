"""Untrusted text escaped for where it is shown (Slack, Markdown) and cut to fit a limit."""

from __future__ import annotations

from collections.abc import Callable

ELLIPSIS = "…"


def escape_within(text: str, escape: Callable[[str], str], limit: int | None = None) -> str:
    """``text`` with every character replaced by ``escape(character)``.

    With ``limit``, the *escaped* text fits it: cut on whole characters, never
    inside an escape (``&amp;``, ``\\*``), and marked with an ellipsis.
    """
    return fit([escape(char) for char in text], limit)


def fit(pieces: list[str], limit: int | None = None) -> str:
    """Escaped ``pieces`` (one per character) joined, cut to ``limit`` on whole pieces."""
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    used = len(ELLIPSIS)
    for piece in pieces:
        if used + len(piece) > limit:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + ELLIPSIS
