"""How a setting is declared: the variable it is read from, and a default written once elsewhere."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel


def env_var(name: str) -> AliasChoices:
    """Read from ``name`` (or its lower-case spelling, as the TOML file writes it)."""
    return AliasChoices(name, name.lower())


def default_of(model: type[BaseModel], field: str) -> Any:
    """The default of a setting the workflow carries in its input: written once, in that model."""
    return model.model_fields[field].get_default(call_default_factory=True)
