"""TF-IDF fitted on the shipped rows plus a few more, without counting the shipped rows again.

A retrain fits the vectorizers on the ~6,400 shipped training rows plus the
reviewers' corrections. scikit-learn counts every n-gram of every text in
Python, and on the shipped rows that was most of a candidate's featurizing,
the same work on every retrain. Here the shipped rows' term counts are taken
once per process (per vectorizer), the other texts' counts are appended, and
the vocabulary, its pruning (``min_df``, ``max_df``, ``max_features``) and the
idf weights are then derived as ``TfidfVectorizer.fit_transform`` derives them
on all the texts (``triage.judging.vectorizer.fit_counted``): the same
vocabulary, weights and matrix (``tests/test_term_counts.py`` compares them
with scikit-learn's).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.judging.classifier import VECTORIZERS, fields, new_vectorizers
from triage.judging.training.training_data import TrainingRows, load_examples, training_rows
from triage.judging.vectorizer import TermCounts, count_terms, fit_counted


@cache
def shipped_rows() -> TrainingRows:
    """The shipped training rows (the same on every call: do not change them)."""
    return training_rows(load_examples())


@cache
def _shipped_counts() -> dict[str, TermCounts]:
    inputs = fields(list(shipped_rows().texts))
    return {
        name: count_terms(vectorizer.build_analyzer(), inputs[VECTORIZERS[name][0]])
        for name, vectorizer in new_vectorizers().items()
    }


def featurize_with_shipped(vectorizers: dict[str, TfidfVectorizer], texts: Sequence[str]) -> sp.csr_matrix:
    """``featurize(vectorizers, shipped texts + texts, fit=True)``, the shipped rows counted once."""
    inputs = fields(list(texts))
    blocks = []
    for name, counted in _shipped_counts().items():
        column = inputs[VECTORIZERS[name][0]]
        vectorizer = vectorizers[name]
        blocks.append(fit_counted(vectorizer, count_terms(vectorizer.build_analyzer(), column, counted)))
    return sp.hstack(blocks, format="csr")
