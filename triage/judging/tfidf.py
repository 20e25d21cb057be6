"""A fitted TF-IDF vectorizer's ``transform``, for one message at a time.

scikit-learn's ``TfidfVectorizer.transform`` validates its input, its
parameters and its output on every call (dataframe checks, dtype checks,
array checks): on one short message that costs more than the counting. Judging
a message runs half a dozen such transforms (the classifier's four feature
blocks, its familiarity, the answer matcher's spelling), so here the same
steps run directly: the vectorizer's own analyzer and vocabulary, the same
sublinear term frequency, idf weights and L2 norm, giving the same matrix
(``tests/test_tfidf.py`` compares it with scikit-learn's, row for row). The
judge's own ``Tfidf`` counts a text itself (``Tfidf.build_column_counter``:
character n-grams word by word, each word's columns kept).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn's (training) or the judge's own (triage.judging.vectorizer)
    from sklearn.feature_extraction.text import TfidfVectorizer

    from triage.judging.vectorizer import Fittable, Tfidf

TEXTS_KEPT = 2  # per vectorizer, the last texts counted (see _counter)
# Each vectorizer's counter (text -> {column: count}), with the vocabulary it was built for.
_COUNTERS: WeakKeyDictionary[
    TfidfVectorizer | Tfidf, tuple[dict[str, int], Callable[[str], Mapping[int, int]]]
] = WeakKeyDictionary()


def count_columns(vocabulary: Mapping[str, int], terms: Iterable[str]) -> dict[int, int]:
    """How often each column's term occurs among ``terms`` (terms outside the vocabulary dropped)."""
    # Counted in C first: each distinct term is then looked up once (a long email has
    # thousands of character n-grams, and far fewer distinct ones).
    counted = Counter(terms)
    return {
        column: count
        for column, count in zip(map(vocabulary.get, counted), counted.values(), strict=True)
        if column is not None
    }


def _counter(vectorizer: TfidfVectorizer | Tfidf) -> Callable[[str], Mapping[int, int]]:
    """The vectorizer's text -> {column: count}: the judge's ``Tfidf`` builds its own (it keeps each
    word's columns), scikit-learn's counts what its analyzer gives. Built again after a refit."""
    kept = _COUNTERS.get(vectorizer)
    if kept is None or kept[0] is not vectorizer.vocabulary_:
        build: Callable[[], Callable[[str], Mapping[int, int]]] | None = getattr(
            vectorizer, "build_column_counter", None
        )
        count: Callable[[str], Mapping[int, int]]
        if build is None:
            analyze, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
            count = lambda text: count_columns(vocabulary, analyze(text))  # noqa: E731
        else:
            count = build()
        # A message's text is read twice by the same vectorizer (the classifier's word block,
        # then its familiarity): the last texts' counts are kept (read, never changed, here).
        kept = _COUNTERS[vectorizer] = (vectorizer.vocabulary_, lru_cache(maxsize=TEXTS_KEPT)(count))
    return kept[1]


def transform(vectorizer: TfidfVectorizer | Tfidf, texts: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)``, without the per-call validation."""
    if vectorizer.norm not in ("l2", None) or vectorizer.binary:
        return vectorizer.transform(texts)  # settings this project does not use: the library's way
    count = _counter(vectorizer)
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        row = sorted(count(text).items())
        indices.extend(column for column, _ in row)
        counts.extend(n for _, n in row)
        indptr.append(len(indices))
    data = np.asarray(counts, dtype=np.float64)
    index = np.asarray(indices, dtype=np.int32)
    offsets = np.asarray(indptr, dtype=np.int32)
    weigh(vectorizer, data, index, offsets)
    return sp.csr_matrix((data, index, offsets), shape=(len(texts), len(vectorizer.vocabulary_)))


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
