"""Fit, calibrate and write the offline classifier that ships with the package.

    python -m triage.llm.train [--output PATH]

``triage eval FILE`` measures the result (figures, calibration, policy).

Deterministic: the same data gives the same model. The temperature is fitted
on out-of-fold logits (5 folds) so the probabilities reflect how often the
model is right on text it has not seen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from triage.llm.classifier import TextClassifier, featurize, new_vectorizers, packaged_artifact, softmax
from triage.llm.training_data import TrainingRows, fingerprint, load_examples, training_rows

MODEL_NAME = "tfidf-logreg-v2"
REGULARISATION = 6.0
TEMPERATURES = np.geomspace(0.05, 4.0, 120)


def fit(texts: list[str], labels: list[str], temperature: float = 1.0, data_id: str = "") -> TextClassifier:
    vectorizers = new_vectorizers()
    features = featurize(vectorizers, texts, fit=True)
    model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    model.fit(features, labels)
    return TextClassifier(
        vectorizers=vectorizers,
        coef=model.coef_,
        intercept=model.intercept_,
        classes=tuple(model.classes_.tolist()),
        temperature=temperature,
        fingerprint=data_id,
        name=MODEL_NAME,
    )


def out_of_fold_logits(rows: TrainingRows, folds: int = 5) -> tuple[np.ndarray, list[str]]:
    texts, labels = rows.texts, rows.labels
    classes = sorted(set(labels))
    logits = np.zeros((len(texts), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, held in splitter.split(texts, labels, groups=rows.groups):
        model = fit([texts[i] for i in train], [labels[i] for i in train])
        assert list(model.classes) == classes
        logits[held] = model.logits([texts[i] for i in held])
    return logits, classes


def best_temperature(logits: np.ndarray, labels: list[str], classes: list[str]) -> float:
    truth = np.array([classes.index(label) for label in labels])

    def nll(t: float) -> float:
        p = softmax(logits / t)[np.arange(len(truth)), truth]
        return float(-np.log(np.clip(p, 1e-12, 1.0)).mean())

    return float(min(TEMPERATURES, key=nll))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=packaged_artifact())
    args = parser.parse_args()

    examples = load_examples()
    rows = training_rows(examples)
    texts, labels = rows.texts, rows.labels
    logits, classes = out_of_fold_logits(rows)
    cv_accuracy = float((logits.argmax(axis=1) == np.array([classes.index(y) for y in labels])).mean())
    temperature = best_temperature(logits, labels, classes)
    model = fit(texts, labels, temperature=temperature, data_id=fingerprint())
    model.save(args.output)
    report = {
        "examples": len(examples),
        "rows": len(texts),
        "cv_accuracy": round(cv_accuracy, 4),
        "temperature": round(temperature, 3),
        "features": int(model.coef.shape[1]),
        "artifact_bytes": args.output.stat().st_size,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
