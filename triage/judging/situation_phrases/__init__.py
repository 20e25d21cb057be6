"""The phrases ``triage.judging.situation`` reads, one module per language.

Each language module names the same tables: ``FAILURE``, ``REPEAT``, ``DISPUTE``
(regular expressions, tried in order) and ``HYPOTHETICAL`` (the words that make a
problem phrase a question: "what happens if the payment fails?"). ``multilingual``
holds the tables written across languages. Patterns match lower-cased text with
accents removed (``triage.judging.situation.plain``), so they are written without accents.
"""

from __future__ import annotations


def words(*alternatives: str) -> str:
    """One non-capturing group of alternatives."""
    return "(?:" + "|".join(alternatives) + ")"
