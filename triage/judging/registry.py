"""Versions of the offline classifier: the packaged one, and those retraining promoted.

A folder (``TRIAGE_MODEL_DIR``) holds one ``.npz`` per version and
``registry.json``, which names the version in force and the history of
promotions and rollbacks. The packaged model is the version ``builtin``, in
force until a retrained one is promoted. The worker, the CLI and the retrain
workflow share the folder (one host, or a shared volume in a cluster);
``registry.json`` is replaced atomically, so a reader sees either the old or
the new version in force, never half of one.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from triage.judging.gate import ModelFigures

# The classifier (numpy, scikit-learn) loads only to load a model: `triage model list` reads JSON.
if TYPE_CHECKING:
    from triage.judging.classifier import TextClassifier

BUILTIN = "builtin"
REGISTRY_FILE = "registry.json"


class RegistryError(Exception):
    """A version that does not exist, or a rollback with nothing to roll back to."""


class ModelVersion(BaseModel):
    version: str
    created_at: datetime
    parent: str | None = None  # the version in force when it was fitted
    corrections: int = 0  # reviewer corrections it was trained on
    figures: dict[str, ModelFigures] = Field(default_factory=dict)  # "held_back", "labelled"
    note: str = ""


class Promotion(BaseModel):
    at: datetime
    old: str
    new: str
    why: str
    rollback: bool = False


class RegistryState(BaseModel):
    current: str = BUILTIN
    versions: list[ModelVersion] = Field(default_factory=list)
    history: list[Promotion] = Field(default_factory=list)  # newest last


class ModelRegistry:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def _index(self) -> Path:
        return self.folder / REGISTRY_FILE

    def state(self) -> RegistryState:
        try:
            return RegistryState.model_validate_json(self._index.read_bytes())
        except FileNotFoundError:
            return RegistryState()

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever the version in force may have: cheap enough to check per message."""
        try:
            stat = self._index.stat()
        except FileNotFoundError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def current(self) -> str:
        return self.state().current

    def path_of(self, version: str) -> Path:
        if version == BUILTIN:
            from triage.judging.classifier import packaged_artifact

            return packaged_artifact()
        return self.folder / f"{version}.npz"

    def load(self, version: str | None = None) -> TextClassifier:
        version = version or self.current()
        path = self.path_of(version)
        if not path.exists():
            raise RegistryError(f"model {version} is not in {self.folder}")
        from triage.judging.classifier import TextClassifier

        return TextClassifier.load(path)

    def _write(self, state: RegistryState) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".registry-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(state.model_dump_json(indent=2))
        os.replace(temporary, self._index)

    def next_version(self) -> str:
        return f"model-{len(self.state().versions) + 1:03d}"

    def add(self, classifier: TextClassifier, entry: ModelVersion) -> ModelVersion:
        """Store a candidate (not in force until promoted)."""
        state = self.state()
        if entry.version == BUILTIN or any(v.version == entry.version for v in state.versions):
            raise RegistryError(f"model {entry.version} exists already")
        classifier.save(self.path_of(entry.version))
        state.versions.append(entry)
        self._write(state)
        return entry

    def record_figures(self, version: str, figures: dict[str, ModelFigures]) -> None:
        state = self.state()
        for entry in state.versions:
            if entry.version == version:
                entry.figures = figures
                self._write(state)
                return
        raise RegistryError(f"model {version} is not in {self.folder}")

    def promote(
        self, version: str, why: str, at: datetime | None = None, rollback: bool = False
    ) -> Promotion:
        state = self.state()
        if version != BUILTIN and not any(v.version == version for v in state.versions):
            raise RegistryError(f"model {version} is not in {self.folder}")
        if version == state.current:
            raise RegistryError(f"model {version} is already in force")
        promotion = Promotion(
            at=at or datetime.now(UTC), old=state.current, new=version, why=why, rollback=rollback
        )
        state.current = version
        state.history.append(promotion)
        self._write(state)
        return promotion

    def rollback(self, why: str = "rolled back by hand") -> Promotion:
        """Back to the version in force before the last promotion."""
        state = self.state()
        # The promotion that first put the current version in force (rollbacks do not count).
        made_current = [p for p in state.history if p.new == state.current and not p.rollback]
        if not made_current:
            raise RegistryError(
                f"nothing to roll back to: {state.current} was never promoted over another model"
            )
        return self.promote(made_current[-1].old, why, rollback=True)
