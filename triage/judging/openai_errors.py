"""An OpenAI SDK error as Temporal should see it: retryable or not, with a retry delay, and nothing secret.

The client never retries (``max_retries=0``): Temporal owns retries.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from time import time
from typing import Any, NoReturn

import openai
from temporalio.exceptions import ApplicationError

from triage.judging.base import ProviderOutputError


def _safe_code(err: openai.APIStatusError) -> str:
    """The error code (``invalid_api_key``, ``model_not_found``) and nothing else:
    OpenAI's 401 message quotes part of the key, and a 400 may quote the input."""
    code = re.sub(r"[^\w.-]", "", str(err.code or ""))[:64]
    return f" ({code})" if code else ""


def _retry_after(headers: Any) -> timedelta | None:
    """Seconds from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date)."""
    try:
        if value := headers.get("retry-after-ms"):
            return timedelta(milliseconds=float(value))
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            seconds = parsedate_to_datetime(value).timestamp() - time()
    except (TypeError, ValueError):
        return None
    return timedelta(seconds=seconds) if seconds > 0 else None


def raise_transport_error(err: openai.APIError) -> NoReturn:
    """Map an SDK error to an ApplicationError Temporal retries (or not).

    ``from None``: Temporal serialises an exception's cause into the failure,
    and the SDK's message can carry part of the API key or of the input.
    """
    if isinstance(err, openai.RateLimitError):
        raise ApplicationError(
            f"LLM rate limited: HTTP 429{_safe_code(err)}",
            type="LlmRateLimited",
            next_retry_delay=_retry_after(err.response.headers),
        ) from None
    if isinstance(err, openai.APITimeoutError):
        raise ApplicationError("LLM request timed out", type="LlmTimeout") from None
    if isinstance(err, openai.APIConnectionError):
        raise ApplicationError("LLM unreachable (connection error)", type="LlmUnavailable") from None
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        detail = f"HTTP {status}{_safe_code(err)}"
        if status >= 500 or status in (408, 409):
            raise ApplicationError(f"LLM server error: {detail}", type="LlmUnavailable") from None
        kinds = {401: "LlmAuthFailed", 403: "LlmAuthFailed", 404: "LlmModelNotFound"}
        # Other 4xx: the same request would fail the same way, so do not retry.
        raise ApplicationError(
            f"LLM rejected the request: {detail}",
            type=kinds.get(status, "LlmRequestRejected"),
            non_retryable=True,
        ) from None
    # APIResponseValidationError and friends: the server answered with garbage.
    raise ProviderOutputError(f"unusable answer from the LLM API ({type(err).__name__})") from None
