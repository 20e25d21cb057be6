"""The offline classifier: TF-IDF features, a linear model, a calibrated softmax.

Word 1-2-grams carry the vocabulary of requests ("invoice", "would be nice",
"steps to reproduce"); character 2-5-grams inside word boundaries carry typos,
inflections and other languages. The same two again over the first line alone
(the subject, or the whole of a chat line) keep an issue's title from drowning
in its logs and template. A multinomial logistic regression over all four,
with its logits divided by a temperature fitted on held-out folds, gives
probabilities the send policy's threshold can rely on.

Confidence also knows when the text is unlike anything the model was trained
on. *Familiarity* is the cosine similarity between a message's word vector and
its nearest training row; a last logistic calibration maps (the temperature-
scaled probability, familiarity) to the probability of being right. It is
fitted on held-out predictions, including predictions on whole training files
left out (a kind of text the model has never seen), so that a long formal
email unlike the training mail gets a lower confidence than a chat line like
hundreds it has seen, and the send policy's threshold means the same on both.

The fitted model ships as one ``.npz`` file of plain arrays (vocabularies,
idf weights, coefficients), written by ``python -m triage.judging.training.train`` and
loaded without pickle, so it neither runs code on load nor breaks when
scikit-learn changes its private attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import scipy.sparse as sp

from triage.judging.tfidf import transform
from triage.judging.vectorizer import Tfidf

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Training fits scikit-learn's vectorizers; a loaded model serves with Tfidf (the
    # same matrices), so a judge never imports scikit-learn.
    Vectorizer: TypeAlias = TfidfVectorizer | Tfidf

_WORDS = dict(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode", min_df=2)
_CHARS = dict(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=3)

# name -> (what it reads, vectorizer parameters); train.py fits them, load() rebuilds them.
VECTORIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    "words": ("text", {**_WORDS, "max_df": 0.5}),
    "chars": ("text", {**_CHARS, "max_features": 120_000}),
    "title_words": ("title", _WORDS),
    "title_chars": ("title", _CHARS),
}
ARTIFACT = "offline-classifier.npz"


def packaged_artifact() -> Path:
    return Path(str(resources.files("triage.judging").joinpath("model", ARTIFACT)))


def new_vectorizers() -> dict[str, TfidfVectorizer]:
    """Unfitted, for training (scikit-learn, imported here: serving never needs it)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return {name: TfidfVectorizer(**params) for name, (_, params) in VECTORIZERS.items()}


def fields(texts: list[str]) -> dict[str, list[str]]:
    return {"text": texts, "title": [text.split("\n", 1)[0] for text in texts]}


def featurize(vectorizers: dict[str, Vectorizer], texts: list[str], *, fit: bool = False) -> sp.csr_matrix:
    inputs = fields(texts)
    blocks = []
    for name, vectorizer in vectorizers.items():
        column = inputs[VECTORIZERS[name][0]]
        blocks.append(vectorizer.fit_transform(column) if fit else transform(vectorizer, column))
    return sp.hstack(blocks, format="csr")


def familiarity(known_by_term: sp.csr_matrix, rows: sp.csr_matrix) -> np.ndarray:
    """Cosine similarity of each row to its nearest known row (both L2-normalised).

    ``known_by_term`` is the known rows transposed (terms x rows, CSR): a message's
    few terms then select the rows that share them, about 4x faster than ``known.T``.
    """
    if known_by_term.shape[1] == 0 or rows.shape[0] == 0:
        return np.zeros(rows.shape[0])
    return row_max(rows @ known_by_term)


def row_max(matrix: sp.csr_matrix) -> np.ndarray:
    """``matrix.max(axis=1)``, dense: the same values, without scipy's general path (a
    conversion, a mask and a COO matrix per call: a fifth of a long email's classification)."""
    matrix.sum_duplicates()
    stored = np.diff(matrix.indptr)
    best = np.zeros(matrix.shape[0], dtype=matrix.dtype)
    some = stored > 0
    if some.any():
        best[some] = np.maximum.reduceat(matrix.data, matrix.indptr[:-1][some])
    # A row with a column not stored holds a zero there too.
    partly = some & (stored < matrix.shape[1])
    best[partly] = np.maximum(best[partly], 0)
    return best


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class TextClassifier:
    vectorizers: dict[str, Vectorizer]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    classes: tuple[str, ...]
    temperature: float
    fingerprint: str
    name: str
    # The training rows' word vectors, and (a, b, c) of
    # P(right) = sigmoid(a * logit(p) + b * familiarity + c); None before calibration.
    known: sp.csr_matrix | None = None
    calibration: tuple[float, float, float] | None = None

    def logits(self, texts: list[str]) -> np.ndarray:
        return np.asarray(featurize(self.vectorizers, texts) @ self.coef.T) + self.intercept

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return softmax(self.logits(texts) / self.temperature)

    @cached_property
    def _known_by_term(self) -> sp.csr_matrix:
        assert self.known is not None
        return self.known.T.tocsr()

    def familiarity(self, texts: list[str]) -> np.ndarray:
        if self.known is None:
            return np.ones(len(texts))
        return familiarity(self._known_by_term, transform(self.vectorizers["words"], texts))

    def calibrated(
        self,
        confidence: np.ndarray,
        familiar: np.ndarray,
        calibration: tuple[float, float, float] | None = None,
    ) -> np.ndarray:
        """How often a prediction this confident, on text this familiar, is right (by this
        model's calibration, or by ``calibration``: a joined model's, triage.judging.meaning_head)."""
        calibration = calibration or self.calibration
        if calibration is None:
            return confidence
        a, b, c = calibration
        return 1.0 / (1.0 + np.exp(-(a * logit(confidence) + b * familiar + c)))

    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {
            "coef": self.coef.astype(np.float32),
            "intercept": self.intercept.astype(np.float32),
            "classes": np.array(self.classes),
        }
        for name, vectorizer in self.vectorizers.items():
            vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"{name}_vocabulary"] = np.array(vocabulary)
            arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float32)
        if self.known is not None:
            arrays["known_data"] = self.known.data.astype(np.float16)
            arrays["known_indices"] = self.known.indices.astype(np.int32)
            arrays["known_indptr"] = self.known.indptr.astype(np.int32)
        meta = {
            "temperature": self.temperature,
            "fingerprint": self.fingerprint,
            "name": self.name,
            "calibration": list(self.calibration) if self.calibration else None,
        }
        arrays["meta"] = np.array(json.dumps(meta))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            # numpy's stubs fear a key named allow_pickle among the arrays; ours are fixed names.
            np.savez_compressed(out, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path | None = None) -> TextClassifier:
        with np.load(path or packaged_artifact(), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vectorizers: dict[str, Vectorizer] = {
                name: Tfidf.fitted(data[f"{name}_vocabulary"].tolist(), data[f"{name}_idf"], **params)
                for name, (_, params) in VECTORIZERS.items()
            }
            known = None
            if "known_data" in data:
                width = len(vectorizers["words"].vocabulary_)
                known = sp.csr_matrix(
                    (data["known_data"].astype(np.float64), data["known_indices"], data["known_indptr"]),
                    shape=(len(data["known_indptr"]) - 1, width),
                )
            calibration = meta.get("calibration")
            return cls(
                known=known,
                calibration=tuple(calibration) if calibration else None,
                vectorizers=vectorizers,
                coef=data["coef"].astype(np.float64),
                intercept=data["intercept"].astype(np.float64),
                classes=tuple(data["classes"].tolist()),
                temperature=float(meta["temperature"]),
                fingerprint=meta["fingerprint"],
                name=meta["name"],
            )
