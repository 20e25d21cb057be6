"""Choosing the category model's join on whole training files left out, scored per register."""

from __future__ import annotations

import numpy as np
import pytest

from triage.judging.training.train_head import best_offsets, by_register, register_macro_f1
from triage.judging.training.training_data import TrainingRows

CLASSES = ["billing", "bug", "general"]


def rows(labels: list[str], registers: list[str]) -> TrainingRows:
    n = len(labels)
    return TrainingRows([""] * n, labels, list(range(n)), ["file"] * n, [("", "")] * n, registers)


def scores(predicted: list[str]) -> np.ndarray:
    return np.log(np.array([[0.8 if c == p else 0.1 for c in CLASSES] for p in predicted]))


def test_each_register_counts_the_same_however_many_rows_it_has():
    labels = ["billing", "bug", "general"] * 10 + ["bug", "general"]
    registers = ["chat"] * 30 + ["issue"] * 2
    predicted = [*labels[:30], "general", "bug"]  # every chat line right, both issues wrong
    training = rows(labels, registers)
    assert by_register(scores(predicted), training, CLASSES) == {"chat": 1.0, "issue": 0.0}
    assert register_macro_f1(scores(predicted), training, CLASSES) == pytest.approx(0.5)


def test_an_offset_corrects_a_class_read_too_often():
    # Half the bugs lean to general by a little: lowering general by more than that fixes them.
    labels = ["bug"] * 10 + ["general"] * 10 + ["billing"] * 10
    joined = scores(labels)
    joined[:5] = np.log([0.1, 0.44, 0.46])
    training = rows(labels, ["email"] * 30)
    before = register_macro_f1(joined, training, CLASSES)
    offsets, after = best_offsets(joined, training, CLASSES)
    assert before < 1.0 and after == pytest.approx(1.0)
    assert offsets[CLASSES.index("general")] < offsets[CLASSES.index("bug")]


def test_no_offset_is_chosen_when_nothing_gains():
    labels = ["bug", "general", "billing"] * 5
    offsets, score = best_offsets(scores(labels), rows(labels, ["chat"] * 15), CLASSES)
    assert offsets == (0.0, 0.0, 0.0) and score == 1.0
