"""Page cursors the API hands out: Temporal's page token, signed by this app."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from fastapi import Request, status

from starter.api.errors import ApiError, ApiErrorKind


class CursorCodec:
    """Page cursors: ``base64url(Temporal's next page token).base64url(tag)``.

    The HMAC tag is there because Temporal answers a forged page token with
    an UNKNOWN error that the client retries for seconds; a cursor this app
    did not issue is refused at once (422) instead.
    """

    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"triage-cursor:" + secret).digest()

    def _tag(self, token: bytes) -> bytes:
        return hmac.digest(self._key, token, "sha256")[:16]

    def encode(self, token: bytes | None) -> str | None:
        if not token:
            return None
        return f"{_b64(token)}.{_b64(self._tag(token))}"

    def decode(self, cursor: str | None) -> bytes | None:
        if not cursor:
            return None
        body, _, tag = cursor.partition(".")
        try:
            token, signature = _unb64(body), _unb64(tag)
        except (binascii.Error, ValueError) as err:
            raise _bad_cursor() from err
        if not token or not hmac.compare_digest(signature, self._tag(token)):
            raise _bad_cursor()
        return token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bad_cursor() -> ApiError:
    return ApiError(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        "invalid or expired cursor: start again from the first page",
        ApiErrorKind.INVALID,
    )


def cursors_of(request: Request) -> CursorCodec:
    return request.app.state.cursors
