"""AES-GCM payload codec: customer text never sits in Temporal history in the clear.

Keys come from ``TRIAGE_ENCRYPTION_KEY``: either one base64 key (id
``default``) or ``id1:base64,id2:base64`` where the first is used to encrypt
and all of them decrypt, so keys rotate without breaking running workflows.
The key id travels in each payload's metadata.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class CodecKeyError(ValueError):
    pass


def parse_keys(spec: str) -> dict[str, bytes]:
    """``base64`` or ``id:base64[,id:base64...]`` -> ordered {id: key}."""
    keys: dict[str, bytes] = {}
    for index, entry in enumerate(part.strip() for part in spec.split(",") if part.strip()):
        key_id, sep, material = entry.rpartition(":")
        if not sep:
            key_id, material = ("default" if index == 0 else f"key{index}"), entry
        try:
            key = base64.b64decode(material, validate=True)
        except ValueError as exc:
            raise CodecKeyError(f"encryption key {key_id!r} is not valid base64") from exc
        if len(key) not in (16, 24, 32):
            raise CodecKeyError(f"encryption key {key_id!r} must be 16, 24 or 32 bytes, not {len(key)}")
        keys[key_id] = key
    if not keys:
        raise CodecKeyError("no encryption key given")
    return keys


def generate_key() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes]) -> None:
        self._active_id = next(iter(keys))
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}

    @classmethod
    def from_spec(cls, spec: str) -> EncryptionCodec:
        return cls(parse_keys(spec))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(self._decrypt_all(payloads))

    def _encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        # The key id is bound as associated data: a swapped id fails to decrypt.
        sealed = self._ciphers[self._active_id].encrypt(
            nonce, payload.SerializeToString(), self._active_id.encode()
        )
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self._active_id.encode()},
            data=nonce + sealed,
        )

    def _decrypt_all(self, payloads: Iterable[Payload]) -> Iterable[Payload]:
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                yield payload
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise CodecKeyError(f"payload was encrypted with unknown key id {key_id!r}")
            nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
            yield Payload.FromString(cipher.decrypt(nonce, sealed, key_id.encode()))
