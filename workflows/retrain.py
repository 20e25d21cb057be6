"""RetrainWorkflow: corrections in, a better offline model out, or a reason why not.

export the reviewers' corrections -> fit a candidate -> measure it beside the
model in force -> the gate (``triage.llm.gate``, decided here, in the history)
-> promote, or keep the current model and say why. Run on demand
(``triage retrain``) and nightly by a Temporal Schedule (``triage schedule``).

Orchestration only: every effect is an activity.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.retrain import RetrainActivities
    from triage.llm.gate import MeasureRequest, PromoteRequest, RetrainReport, RetrainRequest, gate

STEP_TIMEOUT = timedelta(minutes=30)
STEP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=3)


class _StepOptions(TypedDict):
    """The options every step shares (typed, so each call's keywords are checked)."""

    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


@workflow.defn
class RetrainWorkflow:
    @workflow.run
    async def run(self, request: RetrainRequest) -> RetrainReport:
        options: _StepOptions = {"start_to_close_timeout": STEP_TIMEOUT, "retry_policy": STEP_RETRY}
        corrections = await workflow.execute_activity_method(
            RetrainActivities.export_corrections, summary="export corrections", **options
        )
        if corrections.count == 0:
            in_force = await workflow.execute_activity_method(
                RetrainActivities.model_in_force, summary="model in force", **options
            )
            return RetrainReport(corrections=0, in_force=in_force, note="no corrections yet: nothing to learn from")
        candidate = await workflow.execute_activity_method(
            RetrainActivities.fit_candidate, corrections, summary="fit candidate", **options
        )
        measured = await workflow.execute_activity_method(
            RetrainActivities.measure_models,
            MeasureRequest(candidate=candidate, corrections_path=corrections.path, labelled=request.labelled),
            summary="measure current and candidate",
            **options,
        )
        verdict = gate(measured.current, measured.candidate, request.gate)
        report = RetrainReport(
            corrections=corrections.count, candidate=candidate, measured=measured, gate=verdict, in_force=candidate.parent
        )
        if not verdict.promote:
            report.note = f"kept {candidate.parent}: " + "; ".join(verdict.reasons)
            return report
        if not request.promote:
            report.note = f"{candidate.version} passed the gate; not promoted (measure only)"
            return report
        report.in_force = await workflow.execute_activity_method(
            RetrainActivities.promote_model,
            PromoteRequest(version=candidate.version, why="retrain gate: " + "; ".join(verdict.reasons)),
            summary=f"promote {candidate.version}",
            **options,
        )
        report.promoted = True
        report.note = f"promoted {candidate.version} over {candidate.parent}"
        return report
