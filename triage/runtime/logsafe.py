"""No secret in any log line, at any level.

Libraries log what they send at DEBUG: ``websockets`` writes every handshake
header (the mail API key among them), HTTP clients their requests. Rather than
hunting each such line, every handler of the root logger gets a filter that
replaces the configured secrets (``Settings.secret_values``) wherever they
appear in a record: its message, its arguments and its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[redacted]"
# Shorter values are not secrets worth the name, and would redact ordinary words.
MIN_SECRET_CHARS = 8


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first: a secret that contains another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True


def redact_secrets(secrets: Iterable[str], logger: logging.Logger | None = None) -> RedactSecrets:
    """Put the filter on every handler of ``logger`` (the root logger): what propagates passes it."""
    redactor = RedactSecrets(secrets)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor
