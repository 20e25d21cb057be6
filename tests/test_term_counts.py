"""Fitting on counted shipped rows gives scikit-learn's vocabulary, idf and matrix, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from tests.helpers import same_matrix
from triage.judging.classifier import featurize, new_vectorizers
from triage.judging.training.term_counts import featurize_with_shipped, shipped_rows
from triage.judging.training.training_data import load_examples
from triage.judging.vectorizer import count_terms, fit_counted

# New terms, terms in every row, repeated rows (the corrections' copies), an empty row.
EXTRA = [
    *["Ref. blue-heron-7. I was charged twice for my Pro plan, refund it."] * 20,
    *["Calendar sync on the Team plan stopped in June: events no longer show up."] * 3,
    "zzqx qqzx zzqx",
    "",
]


@pytest.mark.parametrize(
    "params",
    [
        {"min_df": 2, "max_df": 0.5, "sublinear_tf": True, "ngram_range": (1, 2), "strip_accents": "unicode"},
        {"analyzer": "char_wb", "ngram_range": (2, 4), "min_df": 3, "max_features": 3000},
        {"max_df": 3, "smooth_idf": False, "norm": None},
    ],
)
def test_counted_in_two_parts_fits_as_the_library(params: dict) -> None:
    texts = [e.text for e in load_examples()[::7]]
    theirs = TfidfVectorizer(**params)
    expected = theirs.fit_transform([*texts, *EXTRA])
    ours = TfidfVectorizer(**params)
    analyze = ours.build_analyzer()
    got = fit_counted(ours, count_terms(analyze, EXTRA, count_terms(analyze, texts)))
    assert ours.vocabulary_ == theirs.vocabulary_
    assert np.array_equal(ours.idf_, theirs.idf_)
    assert same_matrix(got, expected)
    assert same_matrix(ours.transform(EXTRA), theirs.transform(EXTRA))  # a fitted vectorizer like theirs


def test_a_retrain_features_the_shipped_rows_plus_corrections_as_a_full_fit() -> None:
    texts = [*shipped_rows().texts, *EXTRA]
    theirs, ours = new_vectorizers(), new_vectorizers()
    expected = featurize(theirs, texts, fit=True)
    for _ in range(2):  # the second from the counts kept by the first
        ours = new_vectorizers()
        assert same_matrix(featurize_with_shipped(ours, EXTRA), expected)
    for name, vectorizer in theirs.items():
        assert ours[name].vocabulary_ == vectorizer.vocabulary_, name
        assert np.array_equal(ours[name].idf_, vectorizer.idf_), name
