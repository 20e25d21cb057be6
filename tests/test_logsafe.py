"""triage.runtime.logsafe: configured secrets never reach a log line, whatever logs them and how."""

from __future__ import annotations

import io
import logging

from pydantic import SecretStr

from triage.runtime.config import Settings
from triage.runtime.logsafe import REDACTED, RedactSecrets


def logged(secrets: list[str], emit) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger(f"test-logsafe-{id(stream)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    emit(logger)
    return stream.getvalue()


def test_a_secret_is_redacted_in_the_message_its_arguments_and_tracebacks():
    key = "mail-key-0123456789"

    def emit(log: logging.Logger) -> None:
        log.debug("> X-API-Key: %s", key)
        log.info("plain %s", "nothing secret")
        try:
            raise RuntimeError(f"refused key {key}")
        except RuntimeError:
            log.exception("failed")

    text = logged([key, "short"], emit)
    assert key not in text
    assert f"> X-API-Key: {REDACTED}" in text and f"refused key {REDACTED}" in text
    assert "plain nothing secret" in text  # short values are not treated as secrets


def test_settings_name_every_secret():
    settings = Settings(
        mail_api_key=SecretStr("mail-key-0123456789"),
        openai_api_key=SecretStr("sk-openai-0123456789"),
        reviewers=SecretStr("alice:token-alice-0123456789012345,bob:token-bob-0123456789012345"),
    )
    values = settings.secret_values()
    for secret in (
        "mail-key-0123456789",
        "sk-openai-0123456789",
        "token-alice-0123456789012345",
        "token-bob-0123456789012345",
    ):
        assert secret in values
