"""The API's errors: an HTTP status, a message and a machine-readable ``kind``.

A refused decision keeps the workflow's own kind (``ReviewErrorKind``); the
API's other failures have kinds of their own (``ApiErrorKind``). ``ErrorBody``
is the JSON every such error answers with, as the OpenAPI document shows it.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import HTTPException
from pydantic import BaseModel, Field

from triage.domain.contracts import ReviewErrorKind


class ApiErrorKind(StrEnum):
    """Failures of the API itself, not refusals of a decision."""

    NOT_FOUND = "NotFound"
    # Signed in, but the role may not do this (the detail says which role it needs).
    FORBIDDEN = "Forbidden"
    INVALID = "Invalid"
    TOO_LARGE = "TooLarge"
    TEMPORAL_UNAVAILABLE = "TemporalUnavailable"
    TIMEOUT = "Timeout"
    QUERY_FAILED = "QueryFailed"
    TEMPORAL = "Temporal"
    # Only a reply the service sent on its own can be flagged "should not have been sent".
    NOT_FLAGGABLE = "NotFlaggable"
    # No worker polls the queue: an Update (a flag) would wait for one.
    NO_WORKER = "NoWorker"


class ApiError(HTTPException):
    """An HTTP error with a machine-readable ``kind``."""

    def __init__(
        self, status_code: int, detail: str, kind: ReviewErrorKind | ApiErrorKind | str | None = None
    ) -> None:
        super().__init__(status_code, detail)
        self.kind = kind


class ErrorBody(BaseModel):
    """What an error answers with (a request that fails validation answers 422 with a list instead)."""

    detail: str
    kind: ReviewErrorKind | ApiErrorKind | None = Field(
        None, description="Why, for programs: the workflow's refusal or the API's own failure."
    )
