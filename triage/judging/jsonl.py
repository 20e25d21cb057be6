"""The data files' one format: a pydantic row a line (JSON Lines), blank lines skipped."""

from __future__ import annotations

from importlib.abc import Traversable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

Row = TypeVar("Row", bound=BaseModel)


def read_rows(file: Traversable | Path, row: type[Row], shown_as: str, what: str) -> list[Row]:
    """Every row of ``file``; a bad one is a ValueError that names ``shown_as``, its line and ``what`` it is not."""
    rows = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(row.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{shown_as}:{number}: not {what}: {exc}") from None
    return rows
