"""TF-IDF without scikit-learn: the vectorizers a judge serves with.

Importing scikit-learn costs a process about 70 MB (its estimators pull in
most of scipy), and serving needs none of it: the classifier's vectorizers
are fitted already (vocabularies and idf weights in the model file), and the
knowledge base fits two small ones on its articles. ``Tfidf`` is
``TfidfVectorizer`` for the settings this project uses (word or ``char_wb``
n-grams, lower case, optional unicode accent stripping, sublinear tf,
smoothed idf, an l2 norm or none, ``min_df``, ``max_df``, ``max_features``):
scikit-learn's analyzer, and its fit, term for term and bit for bit
(``tests/test_vectorizer.py`` compares them). Training still fits with
scikit-learn; its retrain counts terms with ``count_terms`` and
``fit_counted`` below (``triage.judging.training.term_counts``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from numbers import Integral
from typing import Any, ClassVar, NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from triage.judging.tfidf import count_columns, transform, weigh

# scikit-learn's defaults: runs of whitespace, and a token of two or more word characters.
WHITE_SPACES = re.compile(r"\s\s+")
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# Words whose n-gram columns a char_wb vectorizer keeps (a few hundred bytes each): an
# inbox's words repeat, and a word's n-grams are the same in every text.
WORDS_KEPT = 8192


class Fittable(Protocol):
    """What ``fit_counted`` reads and sets: ``Tfidf``'s or scikit-learn's vectorizer."""

    min_df: float
    max_df: float
    max_features: int | None
    norm: str | None
    use_idf: bool
    smooth_idf: bool
    sublinear_tf: bool
    vocabulary_: dict[str, int]
    idf_: np.ndarray


def strip_accents_unicode(text: str) -> str:
    """Decompose (NFKD) and drop the combining marks; ASCII text as it is."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _word_ngrams(tokens: list[str], low: int, high: int) -> list[str]:
    if high == 1:
        return tokens
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high + 1, len(tokens) + 1)):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def split_words(text: str) -> list[str]:
    """The words ``char_wb`` n-grams are read in (a prepared text's, split at whitespace)."""
    return WHITE_SPACES.sub(" ", text).split()


def char_wb_word_ngrams(word: str, low: int, high: int) -> list[str]:
    """One word's ``char_wb`` n-grams: its own, padded with a space each side (n-grams never
    cross words, so a text's are its words' in turn)."""
    grams: list[str] = []
    padded = f" {word} "
    for n in range(low, high + 1):
        grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
        if len(padded) <= n:  # a short word counts once, at its shortest n
            break
    return grams


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    grams: list[str] = []
    for word in split_words(text):
        grams.extend(char_wb_word_ngrams(word, low, high))
    return grams


@dataclass(eq=False, kw_only=True)  # hashed by identity: tfidf.transform keeps each one's analyzer
class Tfidf:
    """``sklearn.feature_extraction.text.TfidfVectorizer`` for this project's settings."""

    analyzer: str = "word"
    ngram_range: tuple[int, int] = (1, 1)
    strip_accents: str | None = None
    lowercase: bool = True
    token_pattern: str = TOKEN_PATTERN
    sublinear_tf: bool = False
    use_idf: bool = True
    smooth_idf: bool = True
    norm: str | None = "l2"
    min_df: float = 1
    max_df: float = 1.0
    max_features: int | None = None
    # Fitted: term -> column, and each column's idf weight.
    vocabulary_: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    idf_: np.ndarray = field(default_factory=lambda: np.zeros(0), init=False, repr=False)
    binary: ClassVar[bool] = False  # counts, as every vectorizer here (tfidf.transform asks)

    def __post_init__(self) -> None:
        served = self.analyzer in ("word", "char_wb") and self.strip_accents in (None, "unicode")
        if not served or self.norm not in ("l2", None):
            raise ValueError(
                f"Tfidf serves word or char_wb n-grams, unicode accents and an l2 norm or none: not "
                f"analyzer={self.analyzer!r}, strip_accents={self.strip_accents!r}, norm={self.norm!r}"
            )

    @classmethod
    def fitted(cls, terms: Iterable[str], idf: np.ndarray, **params: Any) -> Tfidf:
        """A vectorizer fitted already: its terms in column order and their idf weights."""
        vectorizer = cls(**params)
        vectorizer.vocabulary_ = {term: column for column, term in enumerate(terms)}
        vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
        return vectorizer

    def build_preprocessor(self) -> Callable[[str], str]:
        """Text -> the text its n-grams are read in: lower case, then accents (scikit-learn's order)."""
        lower, strip = self.lowercase, self.strip_accents is not None

        def prepare(text: str) -> str:
            text = text.lower() if lower else text
            return strip_accents_unicode(text) if strip else text

        return prepare

    def build_analyzer(self) -> Callable[[str], list[str]]:
        """Text -> its n-grams, in scikit-learn's order."""
        prepare = self.build_preprocessor()
        low, high = self.ngram_range
        if self.analyzer == "char_wb":
            return lambda text: _char_wb_ngrams(prepare(text), low, high)
        tokens = re.compile(self.token_pattern).findall
        return lambda text: _word_ngrams(tokens(prepare(text)), low, high)

    def build_column_counter(self) -> Callable[[str], Mapping[int, int]]:
        """Text -> {column: how often its term occurs}, by the vocabulary as fitted now.

        ``char_wb`` n-grams never cross words, so a text's counts are the sum of its words':
        each word's columns are kept (``WORDS_KEPT``, least recently used out), and a long
        email's thousands of n-grams are a few hundred lookups. The counts are the analyzer's
        exactly (``tests/test_tfidf.py`` compares them on varied text)."""
        vocabulary = self.vocabulary_
        if self.analyzer != "char_wb":
            analyze = self.build_analyzer()
            return lambda text: count_columns(vocabulary, analyze(text))
        prepare = self.build_preprocessor()
        low, high = self.ngram_range

        @lru_cache(maxsize=WORDS_KEPT)
        def word_columns(word: str) -> tuple[int, ...]:
            grams = char_wb_word_ngrams(word, low, high)
            return tuple(column for column in map(vocabulary.get, grams) if column is not None)

        return lambda text: Counter(chain.from_iterable(map(word_columns, split_words(prepare(text)))))

    def fit(self, texts: Sequence[str]) -> Tfidf:
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return fit_counted(self, count_terms(self.build_analyzer(), texts))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return transform(self, texts)


# ---- fitting from term counts ---------------------------------------------------------


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


def fit_counted(vectorizer: Fittable, counted: TermCounts) -> sp.csr_matrix:
    """``vectorizer.fit_transform`` of the texts ``counted`` counts, from the counts: sets its
    vocabulary and idf weights as scikit-learn's fit does, and returns the same matrix."""
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
    vectorizer.vocabulary_ = {terms[column]: n for n, column in enumerate(kept)}
    vectorizer.idf_ = _idf(counts, vectorizer.smooth_idf)
    return _weighted(counts, vectorizer)


def _idf(counts: sp.csr_matrix, smooth: bool) -> np.ndarray:
    """TfidfTransformer.fit's weights: log(texts / texts with the term) + 1, both plus one if smooth."""
    texts_with = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    texts_with += float(smooth)
    idf = np.full_like(texts_with, fill_value=counts.shape[0] + int(smooth))
    idf /= texts_with
    np.log(idf, out=idf)
    idf += 1.0
    return idf


def _weighted(counts: sp.csr_matrix, vectorizer: Fittable) -> sp.csr_matrix:
    """TfidfTransformer.transform: each row's sums in its stored order, as scikit-learn's."""
    if vectorizer.norm not in ("l2", None):
        raise ValueError(f"norm {vectorizer.norm!r}: fit with scikit-learn")
    matrix = counts.astype(np.float64)
    weigh(vectorizer, matrix.data, matrix.indices, matrix.indptr)
    return matrix
