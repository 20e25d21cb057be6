"""What can go wrong talking to a mail provider, in words no provider owns.

Each provider raises these; the activities turn them into Temporal errors
(``activities/mail_errors.py``) and the watcher retries or reconnects on them.
``retryable`` says whether the same call could succeed later: a missing
message will not appear, a rate limit or an outage passes.
"""

from __future__ import annotations

from datetime import timedelta


class MailError(Exception):
    """A mail provider call failed; ``status`` and ``code`` are the provider's own, when it answered."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class MailNotFound(MailError):
    """The message, draft or thread does not exist (any more): a draft sent once is gone."""

    retryable = False


class MailRateLimited(MailError):
    """Too many calls: try again, after ``retry_after`` when the provider said how long."""

    def __init__(
        self, message: str, *, retry_after: timedelta | None = None, status: int | None = None, code: str = ""
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class MailUnavailable(MailError):
    """The provider answered that it is failing (an outage, a deploy): worth a retry."""


class MailUnreachable(MailError):
    """No answer at all: refused, timed out or cut off on the way."""


class MailSubscriptionLost(MailUnreachable):
    """The new-mail subscription went quiet or was refused: it must be opened again."""


class MailRejected(MailError):
    """The provider refused the call (bad credentials, a paused inbox, an invalid request).

    Permanent unless the provider says the same request may pass later
    (a timeout or a conflict on its side)."""

    def __init__(
        self, message: str, *, retryable: bool = False, status: int | None = None, code: str = ""
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retryable = retryable


class MailBadResponse(MailError):
    """The provider answered something that is not what its API promises (a proxy's page, a
    half-deployed server): worth a retry, bounded by the retry policy."""
