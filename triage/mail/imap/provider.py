"""Any mailbox as a ``MailProvider``: IMAP4rev1 for reading and drafts, SMTP for sending.

* Inbound mail is read from the inbox folder, EXAMINEd (read-only) and
  fetched with ``BODY.PEEK``: nothing here sets \\Seen, relies on it, or
  deletes the customer's mail. Mail is identified by its Message-ID (or its
  content), so duplicates and rescans map to the same workflow.
* Threads come from In-Reply-To and References, with a subject-and-customer
  fallback (``threads.py``) over the inbox and the Sent folder.
* Drafts are APPENDed to the Drafts folder (\\Draft) with a key header and
  replaced on update; the reply's Message-ID follows from the message it answers.
* A send looks for that Message-ID in Sent first, submits over SMTP, then
  files the copy in Sent and removes the draft. A kill between the server's
  acceptance and the Sent copy is the one window in which a retry sends
  twice: the copy's APPEND goes out on a connection opened before the SMTP
  transaction, so the window is one IMAP round trip.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from triage.domain.models import InboundMessage
from triage.mail.errors import MailNotFound
from triage.mail.imap.compose import (
    build_reply,
    draft_id_for,
    for_sending,
    key_of,
    reply_key,
    reply_message_id,
    to_draft,
    with_body,
)
from triage.mail.imap.convert import to_inbound, to_thread_message
from triage.mail.imap.index import Entry, FolderIndex
from triage.mail.imap.mime import DRAFT_KEY_HEADER, id_for, parse_mail
from triage.mail.imap.pool import SessionPool
from triage.mail.imap.session import ImapSession, account_endpoints
from triage.mail.imap.smtp import submit
from triage.mail.imap.subscription import ImapSubscription, imap_subscription
from triage.mail.imap.threads import assign_threads
from triage.mail.models import MailDraft, MailThread, SentMail
from triage.runtime.config import ImapAccount, Settings

log = logging.getLogger(__name__)

SEND_STEPS = ("draft_read", "before_smtp", "after_smtp", "after_sent_copy", "draft_removed")


class ImapProvider:
    """One IMAP + SMTP mailbox. Use as an async context manager."""

    name = "imap"

    def __init__(self, account: ImapAccount) -> None:
        self.account = account
        self.imap_endpoint, self.smtp_endpoint = account_endpoints(account)
        self.pool = SessionPool(self.imap_endpoint)
        cap = account.max_message_bytes
        self.inbox = FolderIndex(account.inbox_folder, outbound=False, max_bytes=cap)
        self.sent = FolderIndex(account.sent_folder, outbound=True, max_bytes=cap)
        self.threads: dict[str, str] = {}
        self._index_lock = asyncio.Lock()
        # Called with each step of a send as it is reached (SEND_STEPS), in the send's thread:
        # the kill -9 tests stop the process there.
        self.on_send_step: Callable[[str], None] | None = None
        # Seconds from the SMTP server's acceptance to the Sent copy, of the last send.
        self.last_send_window: float | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings.imap_account())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self.pool.close()

    # ---- the index ------------------------------------------------------------------

    async def refresh(self) -> None:
        """Bring the inbox's and Sent's headers up to date, and the threads with them."""
        async with self._index_lock:

            def both(session: ImapSession) -> None:
                self.inbox.refresh(session)
                self.sent.refresh(session)

            await self.pool.run(both)
            entries = sorted(
                [*self.inbox.entries.values(), *self.sent.entries.values()], key=lambda e: (e.arrived, e.uid)
            )
            self.threads = assign_threads(entry.envelope for entry in entries)

    async def inbound(self, entries: list[Entry], inbox_id: str) -> list[InboundMessage]:
        """``entries`` of the inbox as messages (read whole up to the size cap)."""
        raw = await self._fetch_whole(self.inbox, entries)
        cap = self.account.max_message_bytes
        return [
            to_inbound(
                e, raw.get(e.uid), inbox_id=inbox_id, thread_id=self.threads[e.mail.triage_id], cap=cap
            )
            for e in entries
            if e.uid in raw or e.size > cap
        ]

    async def _fetch_whole(self, index: FolderIndex, entries: list[Entry]) -> dict[int, bytes]:
        wanted = [e.uid for e in entries if e.size <= self.account.max_message_bytes]
        if not wanted:
            return {}

        def fetch(session: ImapSession) -> dict[int, bytes]:
            state = session.open_folder(index.folder, readonly=True)
            if state.uidvalidity != index.uidvalidity:
                return {}  # renumbered since: the next refresh reads it again
            return {f.uid: f.data for f in session.fetch(wanted, whole=True)}

        return await self.pool.run(fetch)

    # ---- inbound mail -----------------------------------------------------------------

    async def get_message(self, inbox_id: str, message_id: str) -> InboundMessage:
        await self.refresh()
        uids = self.inbox.uids_of(message_id)
        if not uids:
            raise MailNotFound(f"no message {message_id[:80]!r} in {self.account.inbox_folder}")
        found = await self.inbound([self.inbox.entries[uids[0]]], inbox_id)
        if not found:
            raise MailNotFound(f"message {message_id[:80]!r} went away while it was read")
        return found[0]

    async def inbound_pages(
        self, inbox_id: str, *, page_size: int, max_pages: int
    ) -> AsyncIterator[list[InboundMessage]]:
        await self.refresh()
        newest = self.inbox.newest_first()
        for page in range(max_pages):
            chunk = newest[page * page_size : (page + 1) * page_size]
            if not chunk:
                return
            yield await self.inbound(chunk, inbox_id)

    def subscribe(
        self, inbox_id: str, *, idle_timeout: float, on_malformed: Callable[[str], None]
    ) -> AbstractAsyncContextManager[ImapSubscription]:
        return imap_subscription(self, inbox_id, idle_timeout=idle_timeout)

    # ---- drafts -----------------------------------------------------------------------

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
        key = reply_key(inbox_id, reply_to_message_id or f"new:{subject}:{','.join(to)}")
        parent = None
        if reply_to_message_id:
            await self.refresh()
            uids = self.inbox.uids_of(reply_to_message_id)
            parent = self.inbox.entries[uids[0]].mail if uids else None
        message = build_reply(
            key=key,
            address=self.account.address,
            to=to,
            subject=subject,
            plain_body=plain_body,
            html_body=html_body,
            reply_to_message_id=reply_to_message_id or "",
            parent=parent,
        )
        raw = message.as_bytes()
        await self.pool.run(lambda session: self._replace_draft(session, key, raw))
        return to_draft(raw)

    def _replace_draft(self, session: ImapSession, key: str, raw: bytes) -> None:
        """File ``raw`` in Drafts, then remove the earlier versions (a replace: never none)."""
        folder = self.account.drafts_folder
        session.open_folder(folder, readonly=False)
        earlier = session.search_header(DRAFT_KEY_HEADER, key)
        session.append(folder, "(\\Draft \\Seen)", raw)
        session.delete(earlier)

    def _read_draft(self, session: ImapSession, key: str) -> tuple[list[int], bytes | None]:
        session.open_folder(self.account.drafts_folder, readonly=False)
        uids = session.search_header(DRAFT_KEY_HEADER, key)
        fetched = session.fetch(uids[-1:], whole=True)
        return uids, (fetched[0].data if fetched else None)

    async def get_draft(self, inbox_id: str, draft_id: str) -> MailDraft:
        key = key_of(draft_id)
        _, raw = await self.pool.run(lambda session: self._read_draft(session, key))
        if raw is None:
            raise MailNotFound(f"no draft {draft_id[:80]!r}")
        return to_draft(raw)

    async def find_draft(self, inbox_id: str, *, reply_to_message_id: str) -> MailDraft | None:
        try:
            return await self.get_draft(inbox_id, draft_id_for(reply_key(inbox_id, reply_to_message_id)))
        except MailNotFound:
            return None

    async def update_draft(
        self, inbox_id: str, draft_id: str, *, plain_body: str, html_body: str | None = None
    ) -> MailDraft:
        key = key_of(draft_id)

        def update(session: ImapSession) -> bytes:
            _, raw = self._read_draft(session, key)
            if raw is None:
                raise MailNotFound(f"no draft {draft_id[:80]!r}")
            new = with_body(raw, plain_body=plain_body, html_body=html_body).as_bytes()
            self._replace_draft(session, key, new)
            return new

        return to_draft(await self.pool.run(update))

    async def delete_draft(self, inbox_id: str, draft_id: str) -> None:
        key = key_of(draft_id)

        def delete(session: ImapSession) -> None:
            uids, _ = self._read_draft(session, key)
            if not uids:
                raise MailNotFound(f"no draft {draft_id[:80]!r}")
            session.delete(uids)

        await self.pool.run(delete)

    # ---- sending ----------------------------------------------------------------------

    async def send_draft(self, inbox_id: str, draft_id: str) -> SentMail:
        key = key_of(draft_id)
        reply_id = await self.pool.run(lambda session: self._send(session, key))
        await self.refresh()
        return SentMail(message_id=id_for(reply_id), thread_id=self.threads.get(id_for(reply_id)))

    def _step(self, name: str) -> None:
        if self.on_send_step is not None:
            self.on_send_step(name)

    def _send(self, session: ImapSession, key: str) -> str:
        """Send the draft once; the reply's Message-ID (bare). Runs in a pool thread."""
        uids, raw = self._read_draft(session, key)
        self._step("draft_read")
        headers = parse_mail(raw, headers_only=True) if raw is not None else None
        reply_id = (headers.rfc_message_id if headers else None) or reply_message_id(
            key, self.account.address
        )
        session.open_folder(self.account.sent_folder, readonly=True)
        if session.search_header("Message-ID", f"<{reply_id}>"):
            # An earlier attempt sent it (its answer was lost): finish its bookkeeping only.
            if uids:
                session.open_folder(self.account.drafts_folder, readonly=False)
                session.delete(session.search_header(DRAFT_KEY_HEADER, key))
            return reply_id
        if raw is None or headers is None:
            raise MailNotFound(f"no draft {draft_id_for(key)!r} and no reply {reply_id!r} in Sent")
        outgoing = for_sending(raw)
        recipients = headers.to
        wire = outgoing.as_bytes()
        self._step("before_smtp")
        submit(self.smtp_endpoint, outgoing, sender=self.account.address, recipients=recipients)
        accepted = time.monotonic()
        self._step("after_smtp")
        if self.account.save_sent:
            session.append(self.account.sent_folder, "(\\Seen)", wire)
        self.last_send_window = time.monotonic() - accepted
        self._step("after_sent_copy")
        session.open_folder(self.account.drafts_folder, readonly=False)
        session.delete(session.search_header(DRAFT_KEY_HEADER, key))
        self._step("draft_removed")
        log.info(
            "reply %s sent; %.1f ms from acceptance to the Sent copy", reply_id, self.last_send_window * 1000
        )
        return reply_id

    # ---- threads ----------------------------------------------------------------------

    async def get_thread(self, inbox_id: str, thread_id: str) -> MailThread:
        await self.refresh()
        members = [
            entry
            for index in (self.inbox, self.sent)
            for entry in index.newest_first()
            if self.threads.get(entry.mail.triage_id) == thread_id
        ]
        if not members:
            raise MailNotFound(f"no thread {thread_id[:80]!r}")
        raw = {
            **{
                ("in", uid): data
                for uid, data in (
                    await self._fetch_whole(self.inbox, [e for e in members if not e.outbound])
                ).items()
            },
            **{
                ("out", uid): data
                for uid, data in (
                    await self._fetch_whole(self.sent, [e for e in members if e.outbound])
                ).items()
            },
        }
        members.sort(key=lambda e: (e.arrived, e.uid))
        return MailThread(
            thread_id=thread_id,
            messages=[to_thread_message(e, raw.get(("out" if e.outbound else "in", e.uid))) for e in members],
        )
