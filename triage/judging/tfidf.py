"""A fitted TF-IDF vectorizer's ``transform``, for one message at a time.

scikit-learn's ``TfidfVectorizer.transform`` validates its input, its
parameters and its output on every call (dataframe checks, dtype checks,
array checks): on one short message that costs more than the counting. Judging
a message runs half a dozen such transforms (the classifier's four feature
blocks, its familiarity, the answer matcher's spelling), so here the same
steps run directly: the vectorizer's own analyzer and vocabulary, the same
sublinear term frequency, idf weights and L2 norm, giving the same matrix
(``tests/test_tfidf.py`` compares it with scikit-learn's, row for row).

On a long email most of the cost is looking up its thousands of character
n-grams in a vocabulary of 120,000: a ``char_wb`` vectorizer's n-grams never
cross a word, so each word's columns are looked up once and kept (the words
of support mail repeat from message to message), and a text's row is the sum
of its words' columns. The last texts transformed are kept too: the classifier
reads a message's words for its features and again for its familiarity.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from weakref import WeakKeyDictionary

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

# Words whose n-gram columns are kept, per vectorizer (about 350 bytes a word: under 2 MB).
WORDS_KEPT = 5_000
# Transforms kept, per vectorizer: one message's, read by two steps.
RESULTS_KEPT = 2
_WHITE_SPACES = re.compile(r"\s\s+")  # as scikit-learn's char_wb analyzer collapses them


@dataclass
class _Prepared:
    """What one fitted vectorizer reuses from call to call."""

    analyze: Callable[[str], list[str]]
    preprocess: Callable[[str], str]
    words: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)  # char_wb only
    results: OrderedDict[tuple[str, ...], sp.csr_matrix] = field(default_factory=OrderedDict)


_PREPARED: WeakKeyDictionary[TfidfVectorizer, _Prepared] = WeakKeyDictionary()


def _prepared(vectorizer: TfidfVectorizer) -> _Prepared:
    prepared = _PREPARED.get(vectorizer)
    if prepared is None:
        prepared = _PREPARED[vectorizer] = _Prepared(
            vectorizer.build_analyzer(), vectorizer.build_preprocessor()
        )
    return prepared


def _row(terms: Counter[str], lookup: Callable[[str, int], int]) -> tuple[np.ndarray, np.ndarray]:
    """Columns (ascending) and counts of the counted terms that are in the vocabulary."""
    columns = np.fromiter(map(lookup, terms, repeat(-1)), dtype=np.int64, count=len(terms))
    counts = np.fromiter(terms.values(), dtype=np.float64, count=len(terms))
    known = columns >= 0
    order = np.argsort(columns[known])  # (a row's columns are distinct: one order)
    return columns[known][order], counts[known][order]


def _word_columns(vectorizer: TfidfVectorizer, prepared: _Prepared, word: str) -> np.ndarray:
    """The vocabulary columns of one word's n-grams, once per n-gram occurrence."""
    columns = prepared.words.get(word)
    if columns is None:
        lookup = vectorizer.vocabulary_.get
        grams = map(lookup, vectorizer._char_wb_ngrams(word), repeat(-1))
        columns = np.fromiter((c for c in grams if c >= 0), dtype=np.int64)
        columns.flags.writeable = False  # shared by every text with this word
        prepared.words[word] = columns
        if len(prepared.words) > WORDS_KEPT:
            prepared.words.popitem(last=False)
    return columns


def _char_wb_row(
    vectorizer: TfidfVectorizer, prepared: _Prepared, text: str
) -> tuple[np.ndarray, np.ndarray]:
    """``_row`` for a char_wb vectorizer, from its words' kept columns (the analyzer's own
    steps: decode, preprocess, collapse white space, n-grams of each word)."""
    words = Counter(_WHITE_SPACES.sub(" ", prepared.preprocess(vectorizer.decode(text))).split())
    parts = [_word_columns(vectorizer, prepared, word) for word in words]
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    each = np.fromiter(words.values(), dtype=np.int64, count=len(words))
    columns, where = np.unique(np.concatenate(parts), return_inverse=True)
    weights = np.repeat(each, [len(p) for p in parts]).astype(np.float64)
    # (float even when no n-gram is known: bincount of nothing is an integer array)
    return columns, np.bincount(where, weights=weights, minlength=len(columns)).astype(np.float64)


def transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)``, without the per-call validation. The matrix may be
    one returned before for the same texts: read it, never change it."""
    if vectorizer.norm not in ("l2", None) or vectorizer.binary:
        return vectorizer.transform(texts)  # settings this project does not use: the library's way
    prepared = _prepared(vectorizer)
    key = tuple(texts)
    known = prepared.results.get(key)
    if known is not None:
        return known
    by_words = vectorizer.analyzer == "char_wb"
    lookup = vectorizer.vocabulary_.get
    rows = [
        _char_wb_row(vectorizer, prepared, text)
        if by_words
        else _row(Counter(prepared.analyze(text)), lookup)
        for text in texts
    ]
    matrix = _matrix(vectorizer, rows)
    prepared.results[key] = matrix
    if len(prepared.results) > RESULTS_KEPT:
        prepared.results.popitem(last=False)
    return matrix


def _matrix(vectorizer: TfidfVectorizer, rows: list[tuple[np.ndarray, np.ndarray]]) -> sp.csr_matrix:
    """The weighted, normalised CSR matrix of (columns, counts) rows."""
    data = np.concatenate([counts for _, counts in rows]) if rows else np.zeros(0, dtype=np.float64)
    if vectorizer.sublinear_tf:
        np.log(data, out=data)
        data += 1.0
    index = (
        np.concatenate([columns for columns, _ in rows]).astype(np.int32) if rows else np.zeros(0, np.int32)
    )
    if vectorizer.use_idf:
        data *= vectorizer.idf_[index]
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum([len(columns) for columns, _ in rows], out=offsets[1:])
    if vectorizer.norm == "l2":
        lengths = np.diff(offsets)
        row_of = np.repeat(np.arange(len(rows)), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=len(rows)))
        norms[norms == 0.0] = 1.0
        data /= norms[row_of]
    return sp.csr_matrix((data, index, offsets), shape=(len(rows), len(vectorizer.vocabulary_)))
