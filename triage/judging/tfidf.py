"""A fitted TF-IDF vectorizer's ``transform``, for one message at a time.

scikit-learn's ``TfidfVectorizer.transform`` validates its input, its
parameters and its output on every call (dataframe checks, dtype checks,
array checks): on one short message that costs more than the counting. Judging
a message runs half a dozen such transforms (the classifier's four feature
blocks, its familiarity, the answer matcher's spelling), so here the same
steps run directly: the vectorizer's own analyzer and vocabulary, the same
sublinear term frequency, idf weights and L2 norm, giving the same matrix
(``tests/test_tfidf.py`` compares it with scikit-learn's, row for row).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn's (training) or the judge's own (triage.judging.vectorizer)
    from sklearn.feature_extraction.text import TfidfVectorizer

    from triage.judging.vectorizer import Fittable, Tfidf

_ANALYZERS: WeakKeyDictionary[TfidfVectorizer | Tfidf, Callable[[str], list[str]]] = WeakKeyDictionary()


def _analyzer(vectorizer: TfidfVectorizer | Tfidf) -> Callable[[str], list[str]]:
    analyze = _ANALYZERS.get(vectorizer)
    if analyze is None:
        analyze = _ANALYZERS[vectorizer] = vectorizer.build_analyzer()
    return analyze


def transform(vectorizer: TfidfVectorizer | Tfidf, texts: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)``, without the per-call validation."""
    if vectorizer.norm not in ("l2", None) or vectorizer.binary:
        return vectorizer.transform(texts)  # settings this project does not use: the library's way
    analyze = _analyzer(vectorizer)
    vocabulary = vectorizer.vocabulary_
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        # Counted in C first: each distinct term is then looked up once (a long email has
        # thousands of character n-grams, and far fewer distinct ones).
        terms = Counter(analyze(text))
        row = sorted(
            (column, count)
            for column, count in zip(map(vocabulary.get, terms), terms.values(), strict=True)
            if column is not None
        )
        indices.extend(column for column, _ in row)
        counts.extend(count for _, count in row)
        indptr.append(len(indices))
    data = np.asarray(counts, dtype=np.float64)
    index = np.asarray(indices, dtype=np.int32)
    offsets = np.asarray(indptr, dtype=np.int32)
    weigh(vectorizer, data, index, offsets)
    return sp.csr_matrix((data, index, offsets), shape=(len(texts), len(vocabulary)))


def weigh(vectorizer: Fittable, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray) -> None:
    """A CSR matrix's counts -> its TF-IDF weights, in place (``TfidfTransformer.transform``:
    sublinear tf, idf, then each row's l2 norm summed in its stored order)."""
    if vectorizer.sublinear_tf:
        np.log(data, out=data)
        data += 1.0
    if vectorizer.use_idf:
        data *= vectorizer.idf_[indices]
    if vectorizer.norm == "l2":
        n_rows = len(indptr) - 1
        rows = np.repeat(np.arange(n_rows), np.diff(indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=n_rows))
        norms[norms == 0.0] = 1.0
        data /= norms[rows]
