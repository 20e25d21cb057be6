"""The lean TF-IDF transform gives scikit-learn's matrix, exactly, for every vectorizer it serves."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.judging.classifier import VECTORIZERS, TextClassifier
from triage.judging.tfidf import transform
from triage.judging.training.training_data import load_examples

TEXTS = [
    *(e.text for e in load_examples()[::15]),
    "",  # no terms at all
    "zzqx",  # terms outside the vocabulary only
    "Héllo wörld, ÇA VA? 12345 #$%",
]


@pytest.fixture(scope="module")
def shipped() -> TextClassifier:
    return TextClassifier.load()


@pytest.mark.parametrize("name", ["words", "chars", "title_words", "title_chars"])
def test_shipped_vectorizers_give_the_library_matrix(shipped: TextClassifier, name: str) -> None:
    vectorizer = shipped.vectorizers[name]  # the judge's own (triage.judging.vectorizer); the library's here:
    library = TfidfVectorizer(**VECTORIZERS[name][1])
    library.vocabulary_, library.idf_ = vectorizer.vocabulary_, vectorizer.idf_
    ours, theirs = transform(vectorizer, TEXTS), library.transform(TEXTS)
    assert ours.shape == theirs.shape
    assert (ours != theirs).nnz == 0
    assert ours.has_sorted_indices


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sublinear_tf": True, "ngram_range": (1, 2), "strip_accents": "unicode"},
        {"analyzer": "char_wb", "ngram_range": (3, 5), "use_idf": False},
        {"norm": None},
        {"norm": "l1"},  # not served by the lean path: the library's own transform
    ],
)
def test_other_settings_give_the_library_matrix(params: dict[str, object]) -> None:
    vectorizer = TfidfVectorizer(**params).fit(TEXTS[:40])
    ours, theirs = transform(vectorizer, TEXTS), vectorizer.transform(TEXTS)
    np.testing.assert_allclose(ours.toarray(), theirs.toarray(), rtol=0, atol=1e-15)


def test_no_texts_give_an_empty_matrix(shipped: TextClassifier) -> None:
    assert transform(shipped.vectorizers["words"], []).shape == (
        0,
        len(shipped.vectorizers["words"].vocabulary_),
    )
