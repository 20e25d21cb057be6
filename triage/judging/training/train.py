"""Fit, calibrate and write the offline classifier that ships with the package.

    python -m triage.judging.training.train [--output PATH] [--head-output PATH]

``triage eval FILE`` measures the result (figures, calibration, policy).

Deterministic: the same data gives the same model. The temperature is fitted
on out-of-fold logits (5 folds) so the probabilities reflect how often the
model is right on text it has not seen. The last calibration (probability and
familiarity to the chance of being right) is fitted on those predictions plus
predictions on each training file left out whole: text of a kind the model
has never seen, as a new inbox brings.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

from triage.domain.models import answer_label
from triage.judging import meaning_head
from triage.judging.classifier import (
    TextClassifier,
    featurize,
    logit,
    new_vectorizers,
    packaged_artifact,
    softmax,
)
from triage.judging.training.training_data import TrainingRows, fingerprint, load_examples, training_rows

MODEL_NAME = "tfidf-logreg-v3"
REGULARISATION = 6.0
TEMPERATURES = np.geomspace(0.05, 4.0, 120)


def fitted_weights(model: LogisticRegression) -> dict[str, Any]:
    """A fitted regression's weights, as the shipped classifier and head keep them."""
    return {"coef": model.coef_, "intercept": model.intercept_, "classes": tuple(model.classes_.tolist())}


def fit(texts: list[str], labels: list[str], temperature: float = 1.0, data_id: str = "") -> TextClassifier:
    vectorizers = new_vectorizers()
    return _fitted(vectorizers, featurize(vectorizers, texts, fit=True), texts, labels, temperature, data_id)


def fit_with_shipped(
    texts: list[str], labels: list[str], temperature: float = 1.0, data_id: str = ""
) -> TextClassifier:
    """``fit`` on the shipped training rows followed by these, the shipped rows' terms counted
    once per process (a retrain: the same model, a third of the featurizing)."""
    from triage.judging.training.term_counts import featurize_with_shipped, shipped_rows

    shipped = shipped_rows()
    vectorizers = new_vectorizers()
    features = featurize_with_shipped(vectorizers, texts)
    return _fitted(
        vectorizers, features, [*shipped.texts, *texts], [*shipped.labels, *labels], temperature, data_id
    )


def _fitted(
    vectorizers: dict[str, TfidfVectorizer],
    features: sp.csr_matrix,
    texts: list[str],
    labels: list[str],
    temperature: float,
    data_id: str,
) -> TextClassifier:
    model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    model.fit(features, labels)
    return TextClassifier(
        vectorizers=vectorizers,
        **fitted_weights(model),
        temperature=temperature,
        fingerprint=data_id,
        name=MODEL_NAME,
        known=vectorizers["words"].transform(texts),
    )


class HeldOut(NamedTuple):
    logits: np.ndarray  # (rows, classes), each row predicted by a model that never saw it
    familiarity: np.ndarray  # (rows,), against that model's training rows
    classes: list[str]


def held_out_predictions(rows: TrainingRows, splits: Iterable[tuple[Any, Any]]) -> HeldOut:
    texts, labels = rows.texts, rows.labels
    classes = sorted(set(labels))
    logits = np.zeros((len(texts), len(classes)))
    familiar = np.zeros(len(texts))
    for train, held in splits:
        model = fit([texts[i] for i in train], [labels[i] for i in train])
        held_texts = [texts[i] for i in held]
        present = list(model.classes)
        logits[np.ix_(held, [classes.index(c) for c in present])] = model.logits(held_texts)
        missing = [classes.index(c) for c in classes if c not in present]
        logits[np.ix_(held, missing)] = -1e3  # a class absent from training is never predicted
        familiar[held] = model.familiarity(held_texts)
    return HeldOut(logits, familiar, classes)


Splits = list[tuple[np.ndarray, np.ndarray]]


def fold_splits(rows: TrainingRows, folds: int = 5) -> Splits:
    """Five folds; an example's copies stay in one."""
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    return list(splitter.split(rows.texts, rows.labels, groups=rows.groups))


def file_splits(rows: TrainingRows) -> Splits:
    """Each training file left out whole once."""
    return list(LeaveOneGroupOut().split(rows.texts, rows.labels, groups=rows.sources))


def out_of_fold(rows: TrainingRows, folds: int = 5) -> HeldOut:
    return held_out_predictions(rows, fold_splits(rows, folds))


def files_left_out(rows: TrainingRows) -> HeldOut:
    return held_out_predictions(rows, file_splits(rows))


def confidence_and_correctness(
    held: HeldOut, labels: list[str], temperature: float
) -> tuple[np.ndarray, np.ndarray]:
    """The confidence the provider reports (routine summed) and whether the answer was right."""
    probabilities = softmax(held.logits / temperature)
    answer = [answer_label(c) for c in held.classes]
    confidence = np.zeros(len(labels))
    right = np.zeros(len(labels))
    for i, label in enumerate(labels):
        predicted = answer[int(probabilities[i].argmax())]
        confidence[i] = sum(p for p, a in zip(probabilities[i], answer, strict=True) if a == predicted)
        right[i] = predicted == answer_label(label)
    return confidence, right


def fit_calibration(parts: list[tuple[HeldOut, list[str]]], temperature: float) -> tuple[float, float, float]:
    features, targets = [], []
    for held, labels in parts:
        confidence, right = confidence_and_correctness(held, labels, temperature)
        features.append(np.column_stack([logit(confidence), held.familiarity]))
        targets.append(right)
    model = LogisticRegression(C=100.0, max_iter=1000)
    model.fit(np.vstack(features), np.concatenate(targets))
    a, b = model.coef_[0]
    # Less familiar text is never *more* trustworthy.
    return float(a), float(max(b, 0.0)), float(model.intercept_[0])


def best_temperature(logits: np.ndarray, labels: list[str], classes: list[str]) -> float:
    truth = np.array([classes.index(label) for label in labels])

    def nll(t: float) -> float:
        p = softmax(logits / t)[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())

    return float(min(TEMPERATURES, key=nll))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=packaged_artifact())
    parser.add_argument("--head-output", type=Path, default=meaning_head.packaged_artifact())
    args = parser.parse_args()

    examples = load_examples()
    rows = training_rows(examples)
    texts, labels = rows.texts, rows.labels
    folds = out_of_fold(rows)
    classes = folds.classes
    cv_accuracy = float((folds.logits.argmax(axis=1) == np.array([classes.index(y) for y in labels])).mean())
    temperature = best_temperature(folds.logits, labels, classes)
    unseen = files_left_out(rows)
    _, unseen_right = confidence_and_correctness(unseen, labels, temperature)
    calibration = fit_calibration([(folds, labels), (unseen, labels)], temperature)
    model = fit(texts, labels, temperature=temperature, data_id=fingerprint())
    model = dataclasses.replace(model, calibration=calibration)
    model.save(args.output)
    # The encoder's reading, fitted on the same folds and joined with this model.
    from triage.judging.training.train_head import train_head  # it builds on this module

    head, head_report = train_head(rows, model, folds, unseen, temperature)
    head.save(args.head_output)
    report = {
        "examples": len(examples),
        "rows": len(texts),
        "cv_accuracy": round(cv_accuracy, 4),
        "files_left_out_accuracy": round(float(unseen_right.mean()), 4),
        "temperature": round(temperature, 3),
        "calibration": [round(x, 3) for x in calibration],
        "features": int(model.coef.shape[1]),
        "artifact_bytes": args.output.stat().st_size,
        "meaning_head": head_report,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
