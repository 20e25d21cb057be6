"""The judge's own TF-IDF gives scikit-learn's n-grams, vocabulary, weights and matrix, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from tests.helpers import same_matrix
from triage.judging.classifier import VECTORIZERS
from triage.judging.training.training_data import load_examples
from triage.judging.vectorizer import Tfidf

# A fixed number of training texts: the last setting's min_df (a share) and max_df (a count)
# leave no term once the share exceeds the count (500 texts did, when the training data grew).
TEXTS = [
    *(e.text for e in load_examples()[::11][:300]),
    "",
    "a",  # one character: no word token, one short padded n-gram
    "Héllo  wörld,\tÇA VA?\n\n12345 #$% naïve café ﬁle Ωmega",  # accents, ligatures, runs of whitespace
    "x y z ab cd",  # words shorter than the n-grams
]
SETTINGS = [
    *(params for _, params in VECTORIZERS.values()),  # the classifier's four
    # The knowledge base's search, and its questions' spelling.
    {"sublinear_tf": True, "ngram_range": (1, 2), "strip_accents": "unicode"},
    {"analyzer": "char_wb", "ngram_range": (3, 5), "sublinear_tf": True, "strip_accents": "unicode"},
    {"ngram_range": (2, 3), "lowercase": False, "norm": None, "smooth_idf": False},
    {"analyzer": "char_wb", "ngram_range": (1, 3), "min_df": 0.01, "max_df": 5, "max_features": 500},
]


@pytest.mark.parametrize("params", SETTINGS)
def test_the_analyzer_gives_the_library_n_grams(params: dict) -> None:
    ours, theirs = Tfidf(**params).build_analyzer(), TfidfVectorizer(**params).build_analyzer()
    for text in TEXTS:
        assert ours(text) == theirs(text), text


@pytest.mark.parametrize("params", SETTINGS)
def test_a_fit_gives_the_library_vocabulary_weights_and_matrix(params: dict) -> None:
    ours, theirs = Tfidf(**params), TfidfVectorizer(**params)
    matrix = ours.fit_transform(TEXTS)
    assert ours.vocabulary_ == theirs.fit(TEXTS).vocabulary_
    assert np.array_equal(ours.idf_, theirs.idf_)
    assert same_matrix(matrix, TfidfVectorizer(**params).fit_transform(TEXTS))
    assert same_matrix(ours.transform(TEXTS[:9]), theirs.transform(TEXTS[:9]))


def test_a_vectorizer_fitted_from_terms_and_weights_transforms_as_the_library() -> None:
    theirs = TfidfVectorizer(**VECTORIZERS["chars"][1]).fit(TEXTS)
    terms = sorted(theirs.vocabulary_, key=theirs.vocabulary_.__getitem__)
    ours = Tfidf.fitted(terms, theirs.idf_.astype(np.float32), **VECTORIZERS["chars"][1])
    assert ours.vocabulary_ == theirs.vocabulary_
    theirs.idf_ = theirs.idf_.astype(np.float32).astype(np.float64)  # as the model file keeps them
    assert same_matrix(ours.transform(TEXTS), theirs.transform(TEXTS))


@pytest.mark.parametrize(
    "params",
    [{"analyzer": "char"}, {"strip_accents": "ascii"}, {"norm": "l1"}],
)
def test_settings_it_does_not_serve_are_refused(params: dict) -> None:
    with pytest.raises(ValueError, match="Tfidf serves"):
        Tfidf(**params)
