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
    # By true class (absent from figures measured before issue 27):
    recall: dict[str, float] = Field(default_factory=dict)
    support: dict[str, int] = Field(default_factory=dict)
    auto_sent: dict[str, int] = Field(default_factory=dict)  # rows the policy would send alone


class GateSettings(BaseModel):
    f1_tolerance: float = Field(default=DEFAULT_TOLERANCE, ge=0.0, le=0.2)
    unsafe_tolerance: float = Field(default=0.0, ge=0.0, le=0.2)
    # A class's recall on the labelled set may drop by at most this (one row in a hundred), or by
    # one of its rows when it has fewer than a hundred: a single row moving is noise, not a trend.
    recall_tolerance: float = Field(default=0.01, ge=0.0, le=0.2)
    # Corrections must come from this many reviewers; fewer: only a person promotes.
    min_reviewers: int = Field(default=2, ge=1)
    # At most this share of the corrections may file elsewhere what the labelled set's nearest
    # rows agree on: a batch that relabels a pattern the labelled set knows is a person's call.
    # (Measured on the development data: a team's corrections of the model's real mistakes
    # contradict 8-17 % of the time; a relabelled pattern, all of it.) Fewer than
    # min_contradicted is a judgement call, not a pattern.
    max_contradicted_share: float = Field(default=0.25, ge=0.0, le=1.0)
    min_contradicted: int = Field(default=3, ge=1)


class Contradictions(BaseModel):
    """Corrections that file elsewhere what their nearest labelled rows agree on.

    A poisoned batch (billing disputes relabelled as routine) barely moves the labelled set's
    figures: the candidate learns the batch's own wording, and refitting moves a row or two by
    itself. What gives it away is the batch itself: its texts sit among labelled disputes.
    """

    checked: int = 0  # corrections looked at
    # relabelled[what the nearest labelled rows say][what the correction says] = corrections
    relabelled: dict[str, dict[str, int]] = Field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(sum(to.values()) for to in self.relabelled.values())


class GateResult(BaseModel):
    promote: bool
    reasons: list[str]  # why it was refused, or what it improved


# The set the corrections themselves are measured on: it may refuse a candidate, never promote one.
HELD_BACK = "held_back"


_ROUNDING = 1e-9  # recalls are ratios of row counts: one row's worth must compare equal to itself


def _class_reasons(name: str, now: ModelFigures, new: ModelFigures, settings: GateSettings) -> list[str]:
    """Per class: recall must not drop, automatic sends must not rise."""
    refused = []
    for label, support in sorted(now.support.items()):
        if not support:
            refused.append(f"{name}: no {label} rows, so it cannot vouch for that class")
            continue
        before, after = now.recall.get(label, 0.0), new.recall.get(label, 0.0)
        if before - after > max(settings.recall_tolerance, 1 / support) + _ROUNDING:
            refused.append(f"{name}: {label} recall drops from {before:.3f} to {after:.3f}")
        sent_before, sent_after = now.auto_sent.get(label, 0), new.auto_sent.get(label, 0)
        if sent_after > sent_before:
            refused.append(f"{name}: automatic sends of {label} rows rise from {sent_before} to {sent_after}")
    return refused


def _reviewer_reasons(reviewers: dict[str, int], settings: GateSettings) -> list[str]:
    if len(reviewers) >= settings.min_reviewers:
        return []
    who = ", ".join(f"{name} ({count})" for name, count in sorted(reviewers.items())) or "nobody"
    return [
        f"corrections from {len(reviewers)} reviewer(s): {who}; promotion needs corrections from at least "
        f"{settings.min_reviewers} reviewers, or a person's `triage model promote`"
    ]


def _contradiction_reasons(found: Contradictions, settings: GateSettings) -> list[str]:
    if (
        found.count < settings.min_contradicted
        or found.count <= settings.max_contradicted_share * found.checked
    ):
        return []
    pairs = ", ".join(
        f"{count} as {to} what they file as {said}"
        for said, to_counts in sorted(found.relabelled.items())
        for to, count in sorted(to_counts.items())
    )
    return [
        f"corrections: {found.count} of {found.checked} contradict the labelled set's nearest rows "
        f"({pairs}); if that is the team's intent, a person promotes it (`triage model promote`)"
    ]


def gate(
    current: dict[str, ModelFigures],
    candidate: dict[str, ModelFigures],
    settings: GateSettings,
    reviewers: dict[str, int] | None = None,
    contradictions: Contradictions | None = None,
) -> GateResult:
    """Promote only if no measured set gets worse, no class does, more than one reviewer taught it,
    and the corrections do not relabel what the labelled set agrees on.

    ``reviewers`` (corrections per reviewer) is None for runs started before the reviewer rule,
    ``contradictions`` for runs measured before the contradiction check.
    The corrections' own held-back part can refuse a candidate but is never why one is promoted:
    a batch of poisoned corrections fits itself perfectly.
    """
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
        if name != HELD_BACK:
            refused += _class_reasons(name, now, new, settings)
            if new.macro_f1 > now.macro_f1:
                improved.append(f"{name}: macro-F1 {now.macro_f1:.3f} -> {new.macro_f1:.3f}")
    if not any(f.n for n, f in current.items() if n != HELD_BACK):
        refused.append("nothing to measure the candidate on: no labelled file")
    if reviewers is not None:
        refused += _reviewer_reasons(reviewers, settings)
    if contradictions is not None:
        refused += _contradiction_reasons(contradictions, settings)
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
    reviewers: dict[str, int] = Field(default_factory=dict)  # corrections per reviewer (all of them)


class MeasureRequest(BaseModel):
    candidate: CandidateFit
    corrections_path: str
    labelled: str | None = None


class Measured(BaseModel):
    current: dict[str, ModelFigures]  # by set: "held_back", "labelled"
    candidate: dict[str, ModelFigures]
    contradictions: Contradictions | None = None  # None: measured before the check


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
