"""Retrain activities: export the corrections, fit a candidate, measure both models, promote.

Fitting and measuring are CPU work of tens of seconds: they run in a thread so
the worker keeps answering its other tasks. Each step is idempotent under a
retry: the corrections file and the candidate are named after the workflow run.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from triage.domain.corrections import iter_corrections
from triage.domain.models import Correction, PolicySettings
from triage.judging.encoder import encoder
from triage.judging.gate import (
    HELD_BACK,
    CandidateFit,
    CorrectionsFile,
    Measured,
    MeasureRequest,
    PromoteRequest,
)
from triage.judging.kb import KnowledgeBase
from triage.judging.registry import ModelRegistry, ModelVersion, RegistryError
from triage.judging.training import retrain
from triage.judging.training.contradictions import contradictions
from triage.judging.training.evaluation import load_eval_file

if TYPE_CHECKING:
    from triage.judging.classifier import TextClassifier
    from triage.judging.gate import ModelFigures
    from triage.judging.training.evaluation import EvalRow

BAD_LABELLED_FILE = "BadLabelledFile"
# Figures by (model file, rows, policy): measuring is deterministic, and tens of seconds.
MEASURED_CACHE_SIZE = 32
_MEASURED: dict[tuple[str, str, str], ModelFigures] = {}


def packaged_check_sets() -> list[Path]:
    """The labelled set the gate measures on by default: every category (heldout.jsonl) and the
    routine requests and acts (routine.jsonl: how-to questions, thanks, withdrawals)."""
    from importlib import resources

    folder = resources.files("triage.judging").joinpath("checks")
    return [Path(str(folder.joinpath(name))) for name in ("heldout.jsonl", "routine.jsonl")]


class RetrainActivities:
    def __init__(
        self, client: Client, task_queue: str, registry: ModelRegistry, policy: PolicySettings
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._registry = registry
        self._policy = policy

    def _work_file(self) -> Path:
        return self._registry.folder / "work" / f"corrections-{activity.info().workflow_run_id}.jsonl"

    @activity.defn
    async def export_corrections(self) -> CorrectionsFile:
        corrections = [c async for c in iter_corrections(self._client, self._task_queue)]
        path = self._work_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(c.model_dump_json() + "\n" for c in corrections), encoding="utf-8")
        return CorrectionsFile(path=str(path), count=len(corrections))

    @activity.defn
    async def fit_candidate(self, corrections: CorrectionsFile) -> CandidateFit:
        run_id = activity.info().workflow_run_id
        state = self._registry.state()
        done = next((v for v in state.versions if v.note == f"fitted by run {run_id}"), None)
        everything = _read(Path(corrections.path))
        train, held = retrain.split(everything)
        if done is None:
            version = self._registry.next_version()
            current = self._registry.load(state.current)
            candidate = await asyncio.to_thread(retrain.fit_candidate, current, train, version)
            done = self._registry.add(
                candidate,
                ModelVersion(
                    version=version,
                    created_at=datetime.now(UTC),
                    parent=state.current,
                    corrections=len(train),
                    note=f"fitted by run {run_id}",
                ),
            )
        return CandidateFit(
            version=done.version,
            parent=done.parent or state.current,
            trained_on=len(train),
            held_back=len(held),
            reviewers=retrain.reviewers_of(everything),
        )

    @activity.defn
    async def measure_models(self, request: MeasureRequest) -> Measured:
        everything = _read(Path(request.corrections_path))
        _, held = retrain.split(everything)
        paths = [Path(request.labelled)] if request.labelled else packaged_check_sets()
        labelled = []
        for path in paths:
            try:
                labelled += load_eval_file(path)
            except (OSError, ValueError) as err:
                raise ApplicationError(
                    f"labelled file {path}: {err}", type=BAD_LABELLED_FILE, non_retryable=True
                ) from None
        sets = {HELD_BACK: retrain.as_eval_rows(held), "labelled": labelled}
        figures = {}
        for role, version in (
            ("current", request.candidate.parent),
            ("candidate", request.candidate.version),
        ):
            figures[role] = {name: await self._figures(version, rows) for name, rows in sets.items()}
        self._registry.record_figures(request.candidate.version, figures["candidate"])
        found = await asyncio.to_thread(contradictions, everything, labelled, encoder().encode)
        return Measured(current=figures["current"], candidate=figures["candidate"], contradictions=found)

    async def _figures(self, version: str, rows: list[EvalRow]) -> ModelFigures:
        """The model's figures on the rows, measured once per process: the model in force is
        measured beside every candidate, on a labelled set that rarely changes."""
        path = self._registry.path_of(version)
        if not path.is_file():
            self._registry.load(version)  # a missing version: its RegistryError, as before
        key = (
            _digest(path.read_bytes()),
            _digest(*(r.model_dump_json() for r in rows)),
            self._policy.model_dump_json(),
        )
        if key not in _MEASURED:  # the model is loaded only to be measured
            model = self._registry.load(version)
            _MEASURED[key] = await asyncio.to_thread(_measure_sync, model, rows, _packaged_kb(), self._policy)
            while len(_MEASURED) > MEASURED_CACHE_SIZE:
                del _MEASURED[next(iter(_MEASURED))]
        return _MEASURED[key].model_copy(deep=True)

    @activity.defn
    async def model_in_force(self) -> str:
        return self._registry.current()

    @activity.defn
    async def promote_model(self, request: PromoteRequest) -> str:
        if self._registry.current() == request.version:
            return request.version  # a retried promotion
        try:
            self._registry.promote(request.version, request.why)
        except RegistryError as err:
            raise ApplicationError(str(err), type="RegistryError", non_retryable=True) from None
        return request.version


def _read(path: Path) -> list[Correction]:
    return [
        Correction.model_validate_json(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


@cache
def _packaged_kb() -> KnowledgeBase:
    """The articles the models are measured with (loading them encodes every question)."""
    return KnowledgeBase.load()


def _measure_sync(
    model: TextClassifier, rows: list[EvalRow], kb: KnowledgeBase, policy: PolicySettings
) -> ModelFigures:
    return asyncio.run(retrain.measure(model, rows, kb, policy))
