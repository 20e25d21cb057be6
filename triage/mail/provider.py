"""The interface every mail provider implements: what the activities and the watcher need.

Like ``triage.judging.base.TriageProvider`` on the LLM side: the workflow's
activities and the inbox watcher hold a ``MailProvider`` and never learn
which service is behind it (``triage.mail.factory`` picks one from the
configuration). Providers speak in ``triage.domain.models.InboundMessage``, the
models of ``triage.mail.models`` and the errors of ``triage.mail.errors``;
nothing here knows about Temporal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from triage.domain.models import InboundMessage
from triage.mail.models import MailDraft, MailThread, SentMail


@runtime_checkable
class MailSubscription(Protocol):
    """New mail as it arrives, on one open subscription.

    Iterating yields every new inbound message the provider announces (of
    any inbox the subscription sees; the watcher keeps its own). It ends by
    raising a ``MailError`` (``MailSubscriptionLost`` when the subscription went
    quiet), after which the watcher subscribes again and catches up.
    """

    own_address: str | None
    """The inbox's own address, when the provider tells it: mail from it is ours, never triaged."""

    def __aiter__(self) -> AsyncIterator[InboundMessage]: ...


@runtime_checkable
class MailProvider(Protocol):
    """One mail account. Used as an async context manager; every call may raise a ``MailError``."""

    name: str

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def aclose(self) -> None: ...

    # Inbound mail

    async def get_message(self, inbox_id: str, message_id: str) -> InboundMessage: ...

    def inbound_pages(
        self, inbox_id: str, *, page_size: int, max_pages: int
    ) -> AsyncIterator[list[InboundMessage]]:
        """Pages of the inbox's inbound mail, newest first, until exhausted or ``max_pages``."""
        ...

    def subscribe(
        self, inbox_id: str, *, idle_timeout: float, on_malformed: Callable[[str], None]
    ) -> AbstractAsyncContextManager[MailSubscription]:
        """Subscribe to new mail on ``inbox_id``; entered once the provider confirmed it.

        Mail that arrives before the subscription is confirmed is only found by
        a catch-up (``inbound_pages``), which is why the watcher catches up
        after entering. ``idle_timeout``: seconds without any sign of life
        after which the subscription is presumed dead. ``on_malformed`` hears
        the reason for each announcement that could not be read (skipped).
        """
        ...

    # Drafts: the workflow never sends directly, so every retry finds its draft again

    async def create_draft(
        self,
        inbox_id: str,
        *,
        to: list[str],
        subject: str,
        plain_body: str,
        reply_to_message_id: str | None = None,
        html_body: str | None = None,
    ) -> MailDraft: ...

    async def get_draft(self, inbox_id: str, draft_id: str) -> MailDraft: ...

    async def find_draft(self, inbox_id: str, *, reply_to_message_id: str) -> MailDraft | None:
        """The draft replying to ``reply_to_message_id``, if there is one (an earlier attempt's)."""
        ...

    async def update_draft(
        self, inbox_id: str, draft_id: str, *, plain_body: str, html_body: str | None = None
    ) -> MailDraft: ...

    async def send_draft(self, inbox_id: str, draft_id: str) -> SentMail:
        """Send the draft, once: a second send raises ``MailNotFound``."""
        ...

    async def delete_draft(self, inbox_id: str, draft_id: str) -> None: ...

    # Threads

    async def get_thread(self, inbox_id: str, thread_id: str) -> MailThread: ...
