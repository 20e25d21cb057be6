"""The lean TF-IDF transform gives scikit-learn's matrix, exactly, for every vectorizer it serves;
familiarity's row maximum is scipy's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from tests.helpers import same_matrix
from triage.judging.classifier import VECTORIZERS, TextClassifier, row_max
from triage.judging.tfidf import count_columns, transform
from triage.judging.training.training_data import load_examples
from triage.judging.vectorizer import Tfidf

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


# Text whose words the char_wb counter keeps and meets again: repeats in one text and across
# texts, case, unicode whitespace (a no-break space becomes a space only once accents are
# stripped), a Greek final sigma (lower case depends on the neighbours), a dotted capital I
# (two characters in lower case), ligatures, emoji and joiners, long words, digits.
VARIED = [
    "Invoice invoice INVOICE, invoice; the invoice's total",
    "The\u00a0invoice\u3000total\u2028was\u2029wrong\u200bagain",
    "ΟΔΟΣ ΟΔΟΣ. Σίσυφος ΣΊΣΥΦΟΣ σ",
    "İstanbul ISTANBUL istanbul",
    "ﬁle ﬂow ŒUVRE naïve café Ωmega",
    "👍 thanks 👨\u200d👩\u200d👧 ok",
    "x" * 300 + " " + "antidisestablishmentarianism " * 3,
    "order 00123842 costs 12,50 € (ref 7)",
    "  leading and   trailing   ",
    "",
]


@pytest.mark.parametrize("name", ["chars", "title_chars"])
def test_the_word_by_word_counts_are_the_analyzers(shipped: TextClassifier, name: str) -> None:
    vectorizer = shipped.vectorizers[name]
    count = vectorizer.build_column_counter()
    analyze = vectorizer.build_analyzer()
    texts = [*VARIED, *TEXTS, *VARIED]  # the second round reads every word from what is kept
    for text in texts:
        assert count(text) == count_columns(vectorizer.vocabulary_, analyze(text)), text
    library = TfidfVectorizer(**VECTORIZERS[name][1])
    library.vocabulary_, library.idf_ = vectorizer.vocabulary_, vectorizer.idf_
    assert same_matrix(transform(vectorizer, texts), library.transform(texts))


def test_a_refitted_vectorizer_counts_by_its_new_vocabulary() -> None:
    params: dict[str, Any] = {
        "analyzer": "char_wb",
        "ngram_range": (3, 5),
        "sublinear_tf": True,
        "strip_accents": "unicode",
    }
    vectorizer = Tfidf(**params).fit(VARIED[:4])
    transform(vectorizer, VARIED)  # words kept by the first vocabulary
    vectorizer.fit(VARIED[4:])
    assert same_matrix(transform(vectorizer, VARIED), Tfidf(**params).fit(VARIED[4:]).transform(VARIED))
    assert same_matrix(
        transform(vectorizer, VARIED), TfidfVectorizer(**params).fit(VARIED[4:]).transform(VARIED)
    )


@pytest.mark.parametrize("seed", range(40))
def test_row_max_is_scipys(seed: int) -> None:
    """Familiarity's nearest-row cosine: each row's largest value, a row with columns not
    stored counting their zeros (negative values too, though cosines here never are)."""
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(1, 6)), int(rng.integers(1, 8))
    matrix = sp.random(rows, columns, density=float(rng.random()), random_state=seed, format="csr")
    matrix.data -= 0.5 * (seed % 2)
    assert np.array_equal(row_max(matrix.copy()), np.asarray(matrix.max(axis=1).todense()).ravel())
