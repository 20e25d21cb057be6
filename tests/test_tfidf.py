"""The lean TF-IDF transform gives scikit-learn's matrix, exactly, for every vectorizer it serves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.judging import tfidf
from triage.judging.classifier import TextClassifier
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
    vectorizer = shipped.vectorizers[name]
    ours, theirs = transform(vectorizer, TEXTS), vectorizer.transform(TEXTS)
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


@pytest.mark.parametrize(
    "params",
    [
        {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True},
        {"analyzer": "char_wb", "ngram_range": (3, 5), "strip_accents": "unicode", "lowercase": False},
    ],
)
def test_char_wb_rows_built_from_kept_words_give_the_library_matrix(params: dict[str, object]) -> None:
    # Words the kept columns already hold, a spacing accent that accent stripping turns into a
    # space ("l´école": one word becomes two), repeated words, and white space of every kind.
    texts = [
        *TEXTS[:40],
        "Café\u00a0crème  crème\tcafé\n\ncafé l\u00b4école it\u00a8s",
        "ÉCOLE école école",
        "ǂǂǂ ǃǃǃ",  # words none of whose n-grams is known
        "   ",
    ]
    vectorizer = TfidfVectorizer(**params).fit(TEXTS[:40])
    for _ in range(2):  # cold, then from the kept words and the kept result
        ours, theirs = transform(vectorizer, texts), vectorizer.transform(texts)
        assert (ours != theirs).nnz == 0
        assert ours.has_sorted_indices
    one_by_one = sp.vstack([transform(vectorizer, [t]) for t in texts], format="csr")
    assert (one_by_one != theirs).nnz == 0


def test_the_kept_words_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tfidf, "WORDS_KEPT", 5)
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)).fit(TEXTS[:40])
    words = " ".join(f"word{i}" for i in range(50))
    ours = transform(vectorizer, [words])
    assert len(tfidf._prepared(vectorizer).words) == 5
    assert (ours != vectorizer.transform([words])).nnz == 0
