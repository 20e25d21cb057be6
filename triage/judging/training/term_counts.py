"""TF-IDF fitted on the shipped rows plus a few more, without counting the shipped rows again.

A retrain fits the vectorizers on the ~6,400 shipped training rows plus the
reviewers' corrections. scikit-learn counts every n-gram of every text in
Python, and on the shipped rows that was most of a candidate's featurizing,
the same work on every retrain. Here the shipped rows' term counts are taken
once per process (per vectorizer), the other texts' counts are appended, and
the vocabulary, its pruning (``min_df``, ``max_df``, ``max_features``) and the
idf weights are then derived as ``TfidfVectorizer.fit_transform`` derives them
on all the texts: the same vocabulary, weights and matrix
(``tests/test_term_counts.py`` compares them with scikit-learn's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache
from numbers import Integral
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from triage.judging.classifier import VECTORIZERS, fields, new_vectorizers
from triage.judging.training.training_data import TrainingRows, load_examples, training_rows


class TermCounts(NamedTuple):
    vocabulary: dict[str, int]  # term -> column, in the order the terms first appear
    counts: sp.csr_matrix  # (texts, terms): how often each term occurs in each text


def count_terms(
    analyze: Callable[[str], list[str]], texts: Sequence[str], known: TermCounts | None = None
) -> TermCounts:
    """Term counts of ``texts`` below ``known``'s rows, new terms after its columns (as
    scikit-learn numbers them: by first appearance)."""
    vocabulary = dict(known.vocabulary) if known is not None else {}
    indices: list[int] = []
    values: list[int] = []
    indptr = [0]
    for text in texts:
        terms = Counter(analyze(text))  # insertion-ordered: the order the terms first appear
        indices.extend(vocabulary.setdefault(term, len(vocabulary)) for term in terms)
        values.extend(terms.values())
        indptr.append(len(indices))
    width = len(vocabulary)
    below = sp.csr_matrix((np.asarray(values, dtype=np.float64), indices, indptr), shape=(len(texts), width))
    below.sort_indices()  # by column within each row, as scikit-learn leaves its counts
    if known is None:
        return TermCounts(vocabulary, below)
    above = known.counts.copy()
    above.resize((above.shape[0], width))
    return TermCounts(vocabulary, sp.vstack([above, below], format="csr"))


def fit_counted(vectorizer: TfidfVectorizer, counted: TermCounts) -> sp.csr_matrix:
    """``vectorizer.fit_transform`` of the texts ``counted`` counts, from the counts."""
    if not vectorizer.use_idf:  # then scikit-learn keeps no weights a fitted vectorizer could be given
        raise ValueError("fit_counted fits idf weights: use_idf must be on")
    counts = counted.counts
    terms = sorted(counted.vocabulary)
    counts = counts[:, [counted.vocabulary[term] for term in terms]]  # columns in term order
    rows = counts.shape[0]
    # A whole number of texts, or a share of them (scikit-learn's reading of max_df and min_df).
    high = float(vectorizer.max_df if isinstance(vectorizer.max_df, Integral) else vectorizer.max_df * rows)
    low = float(vectorizer.min_df if isinstance(vectorizer.min_df, Integral) else vectorizer.min_df * rows)
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    keep = (document_frequency <= high) & (document_frequency >= low)
    limit = vectorizer.max_features
    if limit is not None and keep.sum() > limit:
        # The most frequent terms; ties fall as scikit-learn's own argsort lets them fall.
        frequency = np.asarray(counts.sum(axis=0)).ravel()
        top = np.zeros(len(keep), dtype=bool)
        top[np.flatnonzero(keep)[(-frequency[keep]).argsort()[:limit]]] = True
        keep = top
    kept = np.flatnonzero(keep)
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    counts = counts[:, kept]  # each row's terms stay in the order they were numbered, as in scikit-learn
    weights = TfidfTransformer(
        norm=vectorizer.norm,
        use_idf=vectorizer.use_idf,
        smooth_idf=vectorizer.smooth_idf,
        sublinear_tf=vectorizer.sublinear_tf,
    ).fit(counts)
    vectorizer.vocabulary_ = {terms[column]: n for n, column in enumerate(kept)}
    vectorizer.idf_ = weights.idf_
    return weights.transform(counts)


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
