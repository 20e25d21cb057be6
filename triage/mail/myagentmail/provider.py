"""myagentmail as a ``MailProvider``: its REST API for mail and drafts, its socket for new mail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

import httpx

from triage.domain.models import InboundMessage
from triage.mail.models import MailDraft, MailThread, SentMail
from triage.mail.myagentmail.client import MailClient
from triage.mail.myagentmail.convert import from_rest, to_draft, to_sent, to_thread
from triage.mail.myagentmail.subscription import SocketSubscription, socket_subscription
from triage.runtime.config import Settings

# The API cannot look a draft up by the message it answers: a retried create scans this many pages.
_DRAFT_SCAN_PAGES = 20
_DRAFT_PAGE = 100


class MyAgentMailProvider:
    """One myagentmail account. Use as an async context manager."""

    name = "myagentmail"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        ws_url: str,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.rest = MailClient(base_url, api_key, timeout=timeout, transport=transport)
        self._api_key = api_key
        self._ws_url = ws_url

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            settings.mail_base_url,
            settings.mail_api_key.get_secret_value(),
            ws_url=settings.ws_url,
            timeout=settings.mail_timeout_seconds,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.rest.aclose()

    # Inbound mail

    async def get_message(self, inbox_id: str, message_id: str) -> InboundMessage:
        return from_rest(await self.rest.get_message(inbox_id, message_id), inbox_id)

    async def inbound_pages(
        self, inbox_id: str, *, page_size: int, max_pages: int
    ) -> AsyncIterator[list[InboundMessage]]:
        async for page in self.rest.iter_messages(
            inbox_id, direction="inbound", page_size=page_size, max_pages=max_pages
        ):
            yield [from_rest(message, inbox_id) for message in page]

    def subscribe(
        self, inbox_id: str, *, idle_timeout: float, on_malformed: Callable[[str], None]
    ) -> AbstractAsyncContextManager[SocketSubscription]:
        return socket_subscription(
            self._ws_url, self._api_key, inbox_id, idle_timeout=idle_timeout, on_malformed=on_malformed
        )

    # Drafts

    async def create_draft(
        self,
        inbox_id: str,
        *,
        to: list[str],
        subject: str,
        plain_body: str,
        reply_to_message_id: str | None = None,
        html_body: str | None = None,
    ) -> MailDraft:
        draft = await self.rest.create_draft(
            inbox_id,
            to=to,
            subject=subject,
            plain_body=plain_body,
            reply_to_message_id=reply_to_message_id,
            html_body=html_body,
        )
        return to_draft(draft)

    async def get_draft(self, inbox_id: str, draft_id: str) -> MailDraft:
        return to_draft(await self.rest.get_draft(inbox_id, draft_id))

    async def find_draft(self, inbox_id: str, *, reply_to_message_id: str) -> MailDraft | None:
        offset = 0
        for _ in range(_DRAFT_SCAN_PAGES):
            page = await self.rest.list_drafts(inbox_id, limit=_DRAFT_PAGE, offset=offset)
            for draft in page.drafts:
                if draft.reply_to_message_id == reply_to_message_id:
                    return to_draft(draft)
            if len(page.drafts) < _DRAFT_PAGE:
                return None
            offset += len(page.drafts)
        return None

    async def update_draft(
        self, inbox_id: str, draft_id: str, *, plain_body: str, html_body: str | None = None
    ) -> MailDraft:
        return to_draft(
            await self.rest.update_draft(inbox_id, draft_id, plain_body=plain_body, html_body=html_body)
        )

    async def send_draft(self, inbox_id: str, draft_id: str) -> SentMail:
        return to_sent(await self.rest.send_draft(inbox_id, draft_id))

    async def delete_draft(self, inbox_id: str, draft_id: str) -> None:
        await self.rest.delete_draft(inbox_id, draft_id)

    # Threads

    async def get_thread(self, inbox_id: str, thread_id: str) -> MailThread:
        return to_thread(await self.rest.get_thread(inbox_id, thread_id))
