"""RetrainWorkflow: corrections in, a better offline model out, or a reason why not.

export the reviewers' corrections -> fit a candidate -> measure it beside the
model in force -> the gate (``triage.judging.gate``, decided here, in the history)
-> promote, or keep the current model and say why. Run on demand
(``triage retrain``) and nightly by a Temporal Schedule (``triage schedule``).

Orchestration only: every effect is an activity, run by the judge workers
(worker/judge.py: fitting and measuring are CPU work, and the model registry
lives there) and called by name, so this module imports no model.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import versions

with workflow.unsafe.imports_passed_through():
    from triage.domain.contracts import JudgeActivity, judge_queue_for
    from triage.judging.gate import (
        CandidateFit,
        CorrectionsFile,
        Measured,
        MeasureRequest,
        PromoteRequest,
        RetrainReport,
        RetrainRequest,
        gate,
    )

STEP_TIMEOUT = timedelta(minutes=30)
STEP_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=3)


class _StepOptions(TypedDict):
    """The options every step shares (typed, so each call's keywords are checked)."""

    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy
    task_queue: str | None


@workflow.defn
class RetrainWorkflow:
    @workflow.run
    async def run(self, request: RetrainRequest) -> RetrainReport:
        # Runs started before the judge queue replay on their own queue.
        judge = request.judge_task_queue or judge_queue_for(workflow.info().task_queue)
        options: _StepOptions = {
            "start_to_close_timeout": STEP_TIMEOUT,
            "retry_policy": STEP_RETRY,
            "task_queue": judge if workflow.patched(versions.JUDGE_QUEUE) else None,
        }
        corrections = await workflow.execute_activity(
            JudgeActivity.EXPORT_CORRECTIONS,
            result_type=CorrectionsFile,
            summary="export corrections",
            **options,
        )
        if corrections.count == 0:
            in_force = await workflow.execute_activity(
                JudgeActivity.MODEL_IN_FORCE, result_type=str, summary="model in force", **options
            )
            return RetrainReport(
                corrections=0, in_force=in_force, note="no corrections yet: nothing to learn from"
            )
        candidate = await workflow.execute_activity(
            JudgeActivity.FIT_CANDIDATE,
            corrections,
            result_type=CandidateFit,
            summary="fit candidate",
            **options,
        )
        measured = await workflow.execute_activity(
            JudgeActivity.MEASURE_MODELS,
            MeasureRequest(candidate=candidate, corrections_path=corrections.path, labelled=request.labelled),
            result_type=Measured,
            summary="measure current and candidate",
            **options,
        )
        # Runs started before the reviewer rule replay the gate they ran.
        reviewers = candidate.reviewers if workflow.patched(versions.RETRAIN_NEEDS_TWO_REVIEWERS) else None
        verdict = gate(measured.current, measured.candidate, request.gate, reviewers, measured.contradictions)
        report = RetrainReport(
            corrections=corrections.count,
            candidate=candidate,
            measured=measured,
            gate=verdict,
            in_force=candidate.parent,
        )
        if not verdict.promote:
            report.note = f"kept {candidate.parent}: " + "; ".join(verdict.reasons)
            return report
        if not request.promote:
            report.note = f"{candidate.version} passed the gate; not promoted (measure only)"
            return report
        report.in_force = await workflow.execute_activity(
            JudgeActivity.PROMOTE_MODEL,
            PromoteRequest(version=candidate.version, why="retrain gate: " + "; ".join(verdict.reasons)),
            result_type=str,
            summary=f"promote {candidate.version}",
            **options,
        )
        report.promoted = True
        report.note = f"promoted {candidate.version} over {candidate.parent}"
        return report
