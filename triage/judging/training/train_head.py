"""Fit the category classifier's meaning head, and measure it against the TF-IDF model.

Run by ``python -m triage.judging.training.train`` after the TF-IDF model, on the same
rows and the same splits: the head's held-out predictions (five folds by
example, and each training file left out whole) are joined with the TF-IDF
model's. The weight of the join and a per-class offset are the ones with the
best macro-F1 on the files left out, averaged over registers (chat lines,
emails, GitHub issues: each scored on its own, as each is a source of mail);
the folds by example score ~0.95 whatever is chosen and did not predict real
mail. The joined model's temperature and calibration are then fitted as the
TF-IDF model's are. A logistic regression stacked over both models'
probabilities is measured on the same folds, for the record.

Deterministic: the encoder runs on one thread, the regressions use lbfgs.
Embedding the training rows takes a few minutes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from triage.domain.models import answer_label
from triage.judging.classifier import TextClassifier, softmax
from triage.judging.meaning_head import MeaningHead, join, meaning_rows, partner_of, shifted
from triage.judging.training.train import (
    HeldOut,
    Splits,
    best_temperature,
    file_splits,
    fit_calibration,
    fitted_weights,
    fold_splits,
)
from triage.judging.training.training_data import TrainingRows

REGULARISATION = 4.0
WEIGHTS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
# Per-class offsets tried, one class at a time, twice round (coordinate ascent); a move must
# gain at least MIN_GAIN, so an offset is never chosen for a tie.
OFFSETS = tuple(round(x, 2) for x in np.arange(-1.0, 1.01, 0.1))
MIN_GAIN = 0.01


def fit(rows: np.ndarray, labels: list[str]) -> LogisticRegression:
    model = LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")
    return model.fit(rows, labels)


def held_out(rows: np.ndarray, labels: list[str], classes: list[str], splits: Splits) -> np.ndarray:
    """Each row's probabilities from a head that never saw it (classes absent from training: 0)."""
    probabilities = np.zeros((len(labels), len(classes)))
    for train, held in splits:
        model = fit(rows[train], [labels[i] for i in train])
        columns = np.array([classes.index(c) for c in model.classes_])
        probabilities[np.ix_(held, columns)] = model.predict_proba(rows[held])
    return probabilities


def macro_f1(probabilities: np.ndarray, labels: list[str], classes: list[str]) -> float:
    predicted = [answer_label(classes[i]) for i in probabilities.argmax(axis=1)]
    truth = [answer_label(label) for label in labels]
    return float(f1_score(truth, predicted, average="macro", labels=sorted(set(truth))))


def by_source(probabilities: np.ndarray, rows: TrainingRows, classes: list[str]) -> dict[str, float]:
    sources = np.array(rows.sources)
    return {
        source: round(
            macro_f1(
                probabilities[sources == source],
                [rows.labels[i] for i in np.flatnonzero(sources == source)],
                classes,
            ),
            3,
        )
        for source in sorted(set(rows.sources))
    }


def register_macro_f1(scores: np.ndarray, rows: TrainingRows, classes: list[str]) -> float:
    """Macro-F1 within each register (chat, email, issue), averaged: a gain on the many chat
    lines does not hide a loss on the fewer issues and emails."""
    return float(np.mean(list(by_register(scores, rows, classes).values())))


def by_register(scores: np.ndarray, rows: TrainingRows, classes: list[str]) -> dict[str, float]:
    registers = np.array(rows.registers)
    return {
        register: macro_f1(
            scores[registers == register],
            [rows.labels[i] for i in np.flatnonzero(registers == register)],
            classes,
        )
        for register in sorted(set(rows.registers))
    }


def best_offsets(
    joined: np.ndarray, rows: TrainingRows, classes: list[str]
) -> tuple[tuple[float, ...], float]:
    """Per-class offsets to the joined log-probabilities with the best register macro-F1."""
    offsets = np.zeros(len(classes))
    best = register_macro_f1(joined, rows, classes)
    for _ in range(2):
        for k in range(len(classes)):
            for value in OFFSETS:
                trial = offsets.copy()
                trial[k] = value
                score = register_macro_f1(joined + trial, rows, classes)
                if score >= best + MIN_GAIN:
                    best, offsets = score, trial
    return tuple(float(x) for x in offsets), best


def stacked(
    tfidf: np.ndarray, meaning: np.ndarray, labels: list[str], classes: list[str], splits: Splits
) -> np.ndarray:
    """A logistic regression over both models' log-probabilities, on the same folds."""
    features = np.hstack([np.log(np.clip(tfidf, 1e-9, 1.0)), np.log(np.clip(meaning, 1e-9, 1.0))])
    probabilities = np.zeros_like(tfidf)
    for train, held in splits:
        model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
        model.fit(features[train], [labels[i] for i in train])
        columns = np.array([classes.index(c) for c in model.classes_])
        probabilities[np.ix_(held, columns)] = model.predict_proba(features[held])
    return probabilities


def train_head(
    rows: TrainingRows, tfidf: TextClassifier, folds: HeldOut, unseen: HeldOut, temperature: float
) -> tuple[MeaningHead, dict[str, Any]]:
    """The head for ``tfidf``, from its held-out logits on the folds and on files left out."""
    labels, classes = rows.labels, folds.classes
    vectors = meaning_rows(rows.messages).astype(np.float64)
    splits = fold_splits(rows)
    meaning_folds = held_out(vectors, labels, classes, splits)
    meaning_unseen = held_out(vectors, labels, classes, file_splits(rows))
    tfidf_folds = softmax(folds.logits / temperature)
    tfidf_unseen = softmax(unseen.logits / temperature)
    # Each weight with its own best offsets, all scored on the files left out, by register.
    chosen = {w: best_offsets(join(tfidf_unseen, meaning_unseen, w), rows, classes) for w in WEIGHTS}
    weight = max(WEIGHTS, key=lambda w: chosen[w][1])
    offsets = chosen[weight][0]
    joined_folds = shifted(join(tfidf_folds, meaning_folds, weight), offsets)
    joined_unseen = shifted(join(tfidf_unseen, meaning_unseen, weight), offsets)
    joined_temperature = best_temperature(joined_folds, labels, classes)
    calibration = fit_calibration(
        [
            (HeldOut(joined_folds, folds.familiarity, classes), labels),
            (HeldOut(joined_unseen, unseen.familiarity, classes), labels),
        ],
        joined_temperature,
    )
    head = MeaningHead(
        **fitted_weights(fit(vectors, labels)),
        weight=weight,
        temperature=joined_temperature,
        calibration=calibration,
        partner=partner_of(tfidf),
        offsets=offsets,
    )
    stack = stacked(tfidf_folds, meaning_folds, labels, classes, splits)
    plain_by_weight = {
        w: register_macro_f1(join(tfidf_unseen, meaning_unseen, w), rows, classes) for w in WEIGHTS
    }
    report = {
        "weight": weight,
        "offsets": dict(zip(classes, offsets, strict=True)),
        "temperature": round(joined_temperature, 3),
        "calibration": [round(x, 3) for x in calibration],
        "files_left_out_register_macro_f1": {
            "tfidf": round(register_macro_f1(tfidf_unseen, rows, classes), 4),
            "meaning": round(register_macro_f1(meaning_unseen, rows, classes), 4),
            "joined": round(plain_by_weight[weight], 4),
            "joined_with_offsets": round(chosen[weight][1], 4),
            "joined_by_weight": {str(w): round(s, 4) for w, s in plain_by_weight.items()},
            "with_offsets_by_weight": {str(w): round(chosen[w][1], 4) for w in WEIGHTS},
            "offsets_by_weight": {str(w): chosen[w][0] for w in WEIGHTS},
            "by_register": {r: round(f, 4) for r, f in by_register(joined_unseen, rows, classes).items()},
        },
        "cv_macro_f1": {
            "tfidf": round(macro_f1(tfidf_folds, labels, classes), 4),
            "meaning": round(macro_f1(meaning_folds, labels, classes), 4),
            "joined": round(macro_f1(joined_folds, labels, classes), 4),
            "stacked_logreg": round(macro_f1(stack, labels, classes), 4),
        },
        "cv_macro_f1_by_source": {
            "tfidf": by_source(tfidf_folds, rows, classes),
            "meaning": by_source(meaning_folds, rows, classes),
            "joined": by_source(softmax(joined_folds), rows, classes),
        },
    }
    return head, report
