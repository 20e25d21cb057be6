"""The retrain gate: a candidate model is promoted only if no measured set gets worse.

Plain models and one pure function, so the retrain workflow decides in
workflow code (replayable, visible in its history) on figures its activities
measured.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# Measured differences smaller than this are noise (one message in a few hundred).
DEFAULT_TOLERANCE = 0.005


class ModelFigures(BaseModel):
    """What the retrain gate measured on one labelled set."""

    n: int = 0
    accuracy: float = 0.0
    macro_f1: float = 0.0
    unsafe_auto_send_rate: float = 0.0
    routine_coverage: float = 0.0


class GateSettings(BaseModel):
    f1_tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0.0, le=0.2)
    unsafe_tolerance: float = Field(default=0.0, ge=0.0, le=0.2)


class GateResult(BaseModel):
    promote: bool
    reasons: list[str]  # why it was refused, or what it improved


def gate(current: dict[str, ModelFigures], candidate: dict[str, ModelFigures], settings: GateSettings) -> GateResult:
    """Promote only if no measured set gets worse."""
    refused, improved = [], []
    for name, now in current.items():
        new = candidate[name]
        if not now.n:
            continue
        if new.macro_f1 < now.macro_f1 - settings.f1_tolerance:
            refused.append(f"{name}: macro-F1 drops from {now.macro_f1:.3f} to {new.macro_f1:.3f}")
        if new.unsafe_auto_send_rate > now.unsafe_auto_send_rate + settings.unsafe_tolerance:
            refused.append(
                f"{name}: unsafe auto-send rate rises from {now.unsafe_auto_send_rate:.1%} "
                f"to {new.unsafe_auto_send_rate:.1%}"
            )
        if new.macro_f1 > now.macro_f1:
            improved.append(f"{name}: macro-F1 {now.macro_f1:.3f} -> {new.macro_f1:.3f}")
    if not any(f.n for f in current.values()):
        refused.append("nothing to measure the candidate on: no held-back corrections and no labelled file")
    if refused:
        return GateResult(promote=False, reasons=refused)
    return GateResult(promote=True, reasons=improved or ["no measured set gets worse"])


class RetrainRequest(BaseModel):
    labelled: str | None = None  # an eval-format JSONL file the worker can read; None: the packaged check set
    promote: bool = True  # False: measure and report only
    gate: GateSettings = Field(default_factory=GateSettings)
    # Who asked, and why (recorded in the workflow's history): an admin through the API.
    requested_by: str | None = None
    why: str = ""
    # Where fitting and measuring run; None: beside the workflow's own queue (contracts.judge_queue_for).
    judge_task_queue: str | None = None


class CorrectionsFile(BaseModel):
    path: str
    count: int


class CandidateFit(BaseModel):
    version: str
    parent: str
    trained_on: int  # corrections in the training part
    held_back: int


class MeasureRequest(BaseModel):
    candidate: CandidateFit
    corrections_path: str
    labelled: str | None = None


class Measured(BaseModel):
    current: dict[str, ModelFigures]  # by set: "held_back", "labelled"
    candidate: dict[str, ModelFigures]


class PromoteRequest(BaseModel):
    version: str
    why: str


class RetrainReport(BaseModel):
    corrections: int
    candidate: CandidateFit | None = None
    measured: Measured | None = None
    gate: GateResult | None = None
    promoted: bool = False
    in_force: str  # the model version in force when the run ended
    note: str = ""
