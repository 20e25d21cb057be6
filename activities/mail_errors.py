"""Mail provider errors as Temporal errors: the one place that maps them.

The error type strings are what workflow histories record and what the
retry policies see, so they stay the same whatever provider raised the
error: ``MailNotFound`` and a permanent ``MailClientError`` are not
retryable, ``MailRateLimited`` waits the provider's Retry-After, the others
are retried by Temporal with its backoff.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from triage.mail.errors import (
    MailBadResponse,
    MailError,
    MailNotFound,
    MailRateLimited,
    MailRejected,
    MailUnavailable,
    MailUnreachable,
)

NOT_FOUND = "MailNotFound"
RATE_LIMITED = "MailRateLimited"
SERVER_ERROR = "MailServerError"
CLIENT_ERROR = "MailClientError"
TRANSPORT_ERROR = "MailTransportError"
BAD_RESPONSE = "MailBadResponse"
UNCLASSIFIED = "MailError"  # a provider's failure of no known kind: retried
# A retried automatic reply whose first attempt may have sent it, with no thread to look in.
SEND_UNKNOWN = "SendUnknown"

ERROR_TYPES: dict[type[MailError], str] = {
    MailNotFound: NOT_FOUND,
    MailRateLimited: RATE_LIMITED,
    MailUnavailable: SERVER_ERROR,
    MailRejected: CLIENT_ERROR,
    MailUnreachable: TRANSPORT_ERROR,
    MailBadResponse: BAD_RESPONSE,
}

P = ParamSpec("P")
R = TypeVar("R")


def error_type(err: MailError) -> str:
    """The Temporal error type of ``err``: its own class's, or its nearest mapped base's."""
    for kind in type(err).__mro__:
        if kind in ERROR_TYPES:
            return ERROR_TYPES[kind]
    return UNCLASSIFIED


def as_application_error(err: MailError) -> ApplicationError:
    # The provider's status and code ride along as details, as they always have.
    details = (err.status, err.code) if err.status is not None else ()
    return ApplicationError(
        str(err),
        *details,
        type=error_type(err),
        non_retryable=not err.retryable,
        next_retry_delay=err.retry_after if isinstance(err, MailRateLimited) else None,
    )


@contextmanager
def application_errors() -> Iterator[None]:
    """Within the block, a ``MailError`` leaves as the matching ``ApplicationError``."""
    try:
        yield
    except MailError as err:
        raise as_application_error(err) from err


def maps_mail_errors(activity: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate an async activity so its mail errors reach Temporal classified (under ``@activity.defn``)."""

    @functools.wraps(activity)
    async def mapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with application_errors():
            return await activity(*args, **kwargs)

    return mapped
