"""The category classifier's second reader: what the message means, from the encoder.

The TF-IDF model (``triage.judging.classifier``) reads words and spellings. This
head reads the multilingual encoder's vectors of the same message, the ones
the act model has already computed (``triage.judging.acts.MessageMeaning``: the
new text, the mean of its sentences, the subject), so it costs one small
matrix product. It is a multinomial logistic regression over them; the two
models' probabilities join as a weighted geometric mean (their
log-probabilities averaged), plus a per-class offset, then a temperature and
the familiarity calibration of the TF-IDF model, both refitted on held-out
predictions of the joined model. The weight and the offsets are chosen on
predictions for whole training files left out, scored per register (chat,
GitHub issues, formal email): the folds by example flatter both models, whose
rows' siblings they have seen, and did not predict how they read real mail.

A learned stack (a logistic regression over both models' probabilities) was
measured too, and did worse than the plain average on held-out folds: see
``python -m triage.judging.training.train``'s report.

The head joins only the TF-IDF model it was fitted with (same name and
fingerprint); a model retrained from reviewers' corrections is read alone,
as before. It ships as one ``.npz`` of plain arrays, written by
``python -m triage.judging.training.train``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from triage.judging.acts import message_meaning, softmax

if TYPE_CHECKING:
    from triage.judging.classifier import TextClassifier

ARTIFACT = "category-meaning.npz"
# The vectors it reads: the act model's row (whole text, sentences' mean), then the subject.
WIDTH = 3 * 512
FLOOR = 1e-9  # a probability's floor before its logarithm


def packaged_artifact() -> Path:
    return Path(str(resources.files("triage.judging").joinpath("model", ARTIFACT)))


def partner_of(model: TextClassifier) -> str:
    return f"{model.name}:{model.fingerprint}"


def meaning_rows(messages: Sequence[tuple[str, str]]) -> np.ndarray:
    """One row per (subject, body): a zero row for a message without text."""
    rows = np.zeros((len(messages), WIDTH), dtype=np.float32)
    for i, (subject, body) in enumerate(messages):
        meaning = message_meaning(subject, body)
        if meaning is not None:
            rows[i] = np.concatenate([meaning.features, meaning.subject])
    return rows


def join(tfidf: np.ndarray, meaning: np.ndarray, weight: float) -> np.ndarray:
    """The weighted mean of two models' log-probabilities (rows: messages)."""
    return (1.0 - weight) * np.log(np.clip(tfidf, FLOOR, 1.0)) + weight * np.log(np.clip(meaning, FLOOR, 1.0))


def shifted(joined: np.ndarray, offsets: Sequence[float]) -> np.ndarray:
    """Joined log-probabilities with each class's offset added (no offsets: unchanged)."""
    return joined + np.asarray(offsets) if len(offsets) else joined


@dataclass(frozen=True)
class MeaningHead:
    coef: np.ndarray  # (classes, WIDTH)
    intercept: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    weight: float  # of this head's log-probabilities in the joined model
    temperature: float  # of the joined model
    calibration: tuple[float, float, float]  # as TextClassifier.calibration, for the joined model
    partner: str  # the TF-IDF model it joins (partner_of)
    offsets: tuple[float, ...] = ()  # per class, added to the joined log-probabilities (none: 0)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return softmax(rows.astype(np.float64) @ self.coef.T + self.intercept)

    def joins(self, model: TextClassifier) -> bool:
        return partner_of(model) == self.partner and tuple(model.classes) == self.classes

    def joined(self, tfidf: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The joined model's probabilities, from the TF-IDF model's and the meaning rows."""
        return softmax(
            shifted(join(tfidf, self.probabilities(rows), self.weight), self.offsets) / self.temperature
        )

    def save(self, path: Path) -> None:
        meta = {
            "classes": list(self.classes),
            "weight": self.weight,
            "temperature": self.temperature,
            "calibration": list(self.calibration),
            "partner": self.partner,
            "offsets": list(self.offsets),
        }
        with path.open("wb") as out:
            np.savez_compressed(
                out,
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
                meta=np.array(json.dumps(meta)),
            )

    @classmethod
    def load(cls, path: Path | None = None) -> MeaningHead:
        with np.load(path or packaged_artifact(), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            a, b, c = (float(x) for x in meta["calibration"])
            return cls(
                coef=data["coef"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                classes=tuple(meta["classes"]),
                weight=float(meta["weight"]),
                temperature=float(meta["temperature"]),
                calibration=(a, b, c),
                partner=meta["partner"],
                offsets=tuple(float(x) for x in meta.get("offsets", ())),
            )


@cache
def shipped_head() -> MeaningHead:
    return MeaningHead.load()
