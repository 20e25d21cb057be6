"""Retraining on reviewers' corrections, behind a gate that refuses a worse model.

A candidate is fitted on the shipped training data plus the corrections
(weighted: a reviewer's label on the team's own mail says more than one
generic example), keeping the current model's temperature and calibration.
It is measured, beside the model in force, on a held-back part of the
corrections and on a labelled file, with the same policy that decides in
production. It is promoted only if, on each set, macro-F1 does not drop and
the unsafe auto-send rate does not rise. Corrections can be wrong, or
poisoned: a batch relabelling billing disputes as routine teaches the model
to auto-send disputes, and the labelled file catches it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Sequence

from triage.domain.models import Correction, PolicySettings, answer_label
from triage.domain.text import model_input
from triage.judging.classifier import TextClassifier
from triage.judging.gate import ModelFigures
from triage.judging.kb import KnowledgeBase
from triage.judging.training.evaluation import EvalRow, evaluate

CORRECTION_WEIGHT = 20  # copies of each correction among ~6,400 training rows
# One reviewer's corrections together weigh at most this many training rows (ten corrections
# at full weight): nobody, alone, can outvote the shipped data on a pattern of their choosing.
REVIEWER_WEIGHT_CAP = 200
HELD_BACK_SHARE = 0.3


def held_back(correction: Correction, share: float = HELD_BACK_SHARE) -> bool:
    """A stable split: the same correction is always on the same side."""
    digest = hashlib.sha256(correction.workflow_id.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def split(corrections: Sequence[Correction]) -> tuple[list[Correction], list[Correction]]:
    train = [c for c in corrections if not held_back(c)]
    test = [c for c in corrections if held_back(c)]
    return train, test


def as_eval_rows(corrections: Sequence[Correction]) -> list[EvalRow]:
    return [
        EvalRow(
            id=c.workflow_id,
            subject=c.subject,
            body=c.body,
            label=answer_label(c.corrected),
            source="corrections",
        )
        for c in corrections
    ]


def reviewers_of(corrections: Sequence[Correction]) -> dict[str, int]:
    """How many of the corrections each reviewer made."""
    return dict(Counter(c.reviewer for c in corrections))


def copies(corrections: Sequence[Correction]) -> dict[str, int]:
    """Training copies of each of a reviewer's corrections: CORRECTION_WEIGHT, less when one
    reviewer made so many that together they would outweigh REVIEWER_WEIGHT_CAP rows."""
    return {
        reviewer: max(1, min(CORRECTION_WEIGHT, REVIEWER_WEIGHT_CAP // count))
        for reviewer, count in reviewers_of(corrections).items()
    }


def fit_candidate(current: TextClassifier, corrections: Sequence[Correction], name: str) -> TextClassifier:
    """The shipped examples plus the corrections, calibrated as the model in force is."""
    texts: list[str] = []
    labels: list[str] = []
    weight = copies(corrections)
    for correction in corrections:
        texts += [model_input(correction.subject, correction.body)] * weight[correction.reviewer]
        labels += [correction.corrected.value] * weight[correction.reviewer]
    # Imported here: fitting needs scikit-learn, which a judge that only serves never loads (~70 MB).
    from triage.judging.training.train import fit_with_shipped

    candidate = fit_with_shipped(
        texts, labels, temperature=current.temperature, data_id=f"{current.fingerprint}+{len(corrections)}"
    )
    return dataclasses.replace(candidate, name=name, calibration=current.calibration)


async def measure(
    model: TextClassifier, rows: list[EvalRow], kb: KnowledgeBase, policy: PolicySettings
) -> ModelFigures:
    from triage.judging.offline import OfflineProvider  # the provider the worker runs, on this model

    if not rows:
        return ModelFigures()
    report = await evaluate(
        rows, OfflineProvider(kb, model=model, routine=policy.auto_send_categories, joined=False), policy
    )
    return ModelFigures(
        n=report.n,
        accuracy=report.accuracy,
        macro_f1=report.macro_f1,
        unsafe_auto_send_rate=report.unsafe_auto_send_rate,
        routine_coverage=report.routine_coverage,
        recall={label: c.recall for label, c in report.per_class.items()},
        support={label: c.support for label, c in report.per_class.items()},
        auto_sent={label: c.auto_sent for label, c in report.per_class.items()},
    )
