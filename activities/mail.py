"""Mail activities: thin, idempotent adapters over the configured mail provider.

Provider errors reach Temporal classified (``activities/mail_errors.py``).
Mail APIs have no idempotency keys, so each activity makes its own retries
safe: a retried create first looks for the draft an earlier attempt may have
made, and a retried send that meets the single-send 404 checks whether the
reply is already in the thread.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail_errors import maps_mail_errors
from triage.domain.inbound import parse_single_address
from triage.domain.models import (
    DiscardDraftRequest,
    SaveDraftRequest,
    SendDraftRequest,
    SentReply,
    ThreadEntry,
    ThreadRequest,
    ThreadView,
)
from triage.domain.render import sanitize_html, text_to_html
from triage.domain.senders import customer_messages, mailbox
from triage.domain.text import html_to_text, normalize_body
from triage.mail.errors import MailNotFound
from triage.mail.provider import MailProvider
from triage.runtime.telemetry import annotate

# Other senders in a thread named to the reviewer (and told of this message), at most.
MAX_PARTICIPANTS = 10


def check_single_recipient(to: list[str], copied: list[str]) -> None:
    """Refuse a reply that is not addressed to exactly one well-formed address."""
    if len(to) != 1 or parse_single_address(to[0], "To").address is None or copied:
        raise ApplicationError(
            "the draft has no single, well-formed recipient (the sender's address was "
            "unusable): reply from the mailbox yourself, or reject",
            type="NoRecipient",
            non_retryable=True,
        )


class MailActivities:
    def __init__(self, mail: MailProvider) -> None:
        self._mail = mail

    @activity.defn
    @maps_mail_errors
    async def save_draft(self, request: SaveDraftRequest) -> str:
        """Create the reply draft, or replace its body; returns the draft id.

        The HTML part is the drafter's, sanitised again here, or, for a body
        without one (a reviewer's edit, the holding reply), rendered from it:
        the two parts never disagree."""
        html = (
            sanitize_html(request.html_body) if request.html_body is not None else text_to_html(request.body)
        )
        if request.draft_id:
            try:
                await self._mail.update_draft(
                    request.inbox_id, request.draft_id, plain_body=request.body, html_body=html
                )
                return request.draft_id
            except MailNotFound:
                activity.logger.warning("draft %s vanished; creating it again", request.draft_id)
        elif activity.info().attempt > 1 or request.reuse_saved:
            if existing := await self.saved_draft(request.inbox_id, request.reply_to_message_id):
                await self._mail.update_draft(
                    request.inbox_id, existing, plain_body=request.body, html_body=html
                )
                return existing
        draft = await self._mail.create_draft(
            request.inbox_id,
            to=request.to,
            subject=request.subject,
            plain_body=request.body,
            reply_to_message_id=request.reply_to_message_id,
            html_body=html,
        )
        return draft.id

    @activity.defn
    @maps_mail_errors
    async def send_draft(self, request: SendDraftRequest) -> SentReply:
        await self._check_recipient(request)
        try:
            result = await self._mail.send_draft(request.inbox_id, request.draft_id)
            return SentReply(message_id=result.message_id)
        except MailNotFound:
            pass
        # The draft is gone: either an earlier attempt sent it (and its answer
        # was lost) or someone deleted it. Only the thread can tell.
        sent = await self._find_reply(request)
        if sent:
            annotate(already_sent=True)
            return SentReply(message_id=sent, already_sent=True)
        raise ApplicationError(
            f"draft {request.draft_id} no longer exists and no reply was sent",
            type="DraftMissing",
            non_retryable=True,
        )

    async def _check_recipient(self, request: SendDraftRequest) -> None:
        """Send only a draft addressed to exactly one well-formed address.

        A draft saved without a recipient (the sender's address was unusable)
        must not go out to whatever the mail service makes of the raw From.
        """
        try:
            draft = await self._mail.get_draft(request.inbox_id, request.draft_id)
        except MailNotFound:
            return  # sent already, or gone: send_draft below tells which
        check_single_recipient(draft.to, [*draft.cc, *draft.bcc])

    async def saved_draft(self, inbox_id: str, reply_to_message_id: str) -> str | None:
        """The id of the reply draft an earlier attempt saved, if there is one."""
        draft = await self._mail.find_draft(inbox_id, reply_to_message_id=reply_to_message_id)
        return draft.id if draft else None

    async def _find_reply(self, request: SendDraftRequest) -> str | None:
        return await self.sent_reply(request.inbox_id, request.thread_id, request.reply_to_message_id)

    async def sent_reply(self, inbox_id: str, thread_id: str | None, reply_to_message_id: str) -> str | None:
        """Our reply to ``reply_to_message_id`` in its thread, if one was sent (None: no thread to look in)."""
        if not thread_id:
            return None
        thread = await self._mail.get_thread(inbox_id, thread_id)
        for message in thread.messages:
            if message.outbound and message.in_reply_to == reply_to_message_id:
                return message.id
        return None

    @activity.defn
    @maps_mail_errors
    async def discard_draft(self, request: DiscardDraftRequest) -> None:
        try:
            await self._mail.delete_draft(request.inbox_id, request.draft_id)
        except MailNotFound:
            pass

    @activity.defn
    @maps_mail_errors
    async def thread_history(self, request: ThreadRequest) -> ThreadView:
        """The thread around this message: earlier messages (oldest first, the newest kept
        within the budget) and the customer messages that came after it."""
        thread = await self._mail.get_thread(request.inbox_id, request.thread_id)
        ids = [m.id for m in thread.messages]
        at = ids.index(request.message_id) if request.message_id in ids else len(ids)
        earlier, later = thread.messages[:at], thread.messages[at + 1 :]
        others = []
        if request.customer is not None:
            # A thread belongs to its sender: another sender's messages, and our replies to
            # them, are not this customer's conversation (nor their text this customer's draft).
            mine = customer_messages(thread.messages, request.customer)
            others = [
                m
                for m in thread.messages
                if not m.outbound and m.id not in mine and m.id != request.message_id
            ]
            earlier = [m for m in earlier if m.id in mine]
            later = [m for m in later if m.id in mine]
        view = ThreadView(
            earlier_inbound_ids=[m.id for m in earlier if not m.outbound],
            later_inbound_ids=[m.id for m in later if not m.outbound],
            other_participants=sorted({mailbox(m.from_address) for m in others})[:MAX_PARTICIPANTS],
            other_inbound_ids=[m.id for m in others if ids.index(m.id) < at][-MAX_PARTICIPANTS:],
        )
        budget = request.budget_chars
        for message in reversed(earlier):
            raw = message.plain_body or html_to_text(message.html_body or "")
            text = normalize_body(raw)[: max(budget, 0)]
            if not text:
                continue
            budget -= len(text)
            view.earlier.insert(
                0,
                ThreadEntry(
                    from_us=message.outbound,
                    sender=message.from_address[:320],
                    text=text,
                    received_at=message.received_at,
                ),
            )
            if budget <= 0:
                break
        return view
