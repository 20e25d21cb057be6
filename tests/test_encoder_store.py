"""The knowledge base's question vectors are encoded once per machine: the store gives back
exactly what the encoder computes, a changed list of texts is encoded afresh, a broken
or unwritable store only costs the time it was meant to save, and the store keeps only
the entries used last."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from triage.judging.encoder import STORED_KEPT, Encoder, encoder, stored_vectors_path

TEXTS = ["How do I reset my password?", "Wie ändere ich meinen Tarif?", ""]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "support-triage" / "encodings"


def test_stored_vectors_are_the_encoders_and_are_read_back(store: Path) -> None:
    first = encoder().encode_stored(TEXTS)
    assert np.array_equal(first, encoder().encode(TEXTS))
    path = stored_vectors_path(TEXTS)
    assert path.parent == store and path.exists()
    np.save(path, np.full_like(first, 0.5))  # read back, not recomputed
    assert np.array_equal(encoder().encode_stored(TEXTS), np.full_like(first, 0.5))


def test_vectors_read_from_the_store_load_no_model(store: Path) -> None:
    """The model (about a second of CPU) loads at the first text to encode: a knowledge base
    whose vectors are stored loads without it, and a process that reads no message never pays."""
    encoder().encode_stored(TEXTS)
    fresh = Encoder()
    assert np.array_equal(fresh.encode_stored(TEXTS), encoder().encode_stored(TEXTS))
    assert "_model" not in vars(fresh)
    assert np.allclose(fresh.encode(TEXTS[:1]), encoder().encode(TEXTS[:1]), atol=1e-6)
    assert "_model" in vars(fresh)


def test_other_texts_are_another_entry(store: Path) -> None:
    assert stored_vectors_path(TEXTS) != stored_vectors_path(TEXTS[:2])
    assert stored_vectors_path(TEXTS) != stored_vectors_path([TEXTS[1], TEXTS[0], TEXTS[2]])


def test_a_broken_or_unwritable_store_is_skipped(store: Path) -> None:
    path = stored_vectors_path(TEXTS)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an array")
    assert np.array_equal(encoder().encode_stored(TEXTS), encoder().encode(TEXTS))
    path.unlink()
    path.parent.rmdir()
    path.parent.write_bytes(b"")  # a file where the store's folder goes: no one, root included, writes there
    assert np.array_equal(encoder().encode_stored(TEXTS), encoder().encode(TEXTS))


def test_the_store_keeps_the_entries_used_last(store: Path) -> None:
    """Each new entry prunes all but STORED_KEPT, by when they were last used (written or read)."""
    store.mkdir(parents=True)
    old = [store / f"old{i}.npy" for i in range(STORED_KEPT + 2)]
    for age, path in enumerate(old, start=1):  # old0 is the newest of them
        np.save(path, np.zeros((1, 2), dtype=np.float32))
        os.utime(path, (time.time() - 3600 * age,) * 2)
    half_written = store / "crashed.tmp"
    half_written.write_bytes(b"")
    os.utime(half_written, (time.time() - 7200,) * 2)
    read_back = stored_vectors_path(TEXTS[:1])
    np.save(read_back, encoder().encode(TEXTS[:1]))
    os.utime(read_back, (time.time() - 3600 * 99,) * 2)  # the oldest, until it is read

    encoder().encode_stored(TEXTS[:1])  # read: now the newest
    encoder().encode_stored(TEXTS)  # written: prunes
    kept = {p.name for p in store.iterdir()}
    assert kept == {
        stored_vectors_path(TEXTS).name,
        read_back.name,
        *(p.name for p in old[: STORED_KEPT - 2]),
    }
