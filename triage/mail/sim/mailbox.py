"""The operations REST and the control plane share: lookups and delivery."""

from typing import Any

from triage.mail.sim.errors import not_found
from triage.mail.sim.hub import Hub
from triage.mail.sim.records import Draft, Inbox, Message
from triage.mail.sim.store import Store
from triage.mail.sim.wire import SimInbound


class Mailbox:
    """Inboxes, messages and drafts looked up (404 when missing); mail received and sent, and announced on the socket."""

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store, self.hub = store, hub

    def inbox(self, inbox_id: str) -> Inbox:
        inbox = self.store.inbox(inbox_id)
        if inbox is None:
            raise not_found("inbox", inbox_id)
        return inbox

    def message(self, inbox_id: str, message_id: str) -> Message:
        message = self.store.message(inbox_id, message_id)
        if message is None:
            raise not_found("message", message_id)
        return message

    def draft(self, draft_id: str, inbox_id: str | None = None) -> Draft:
        draft = self.store.draft(draft_id, inbox_id)
        if draft is None:
            raise not_found("draft", draft_id)
        return draft

    def _announce(self, event_type: str, message: Message) -> None:
        thread = self.store.thread(message.inbox_id, message.thread_id)
        self.hub.publish(event_type, message, thread.subject if thread else message.subject)

    def receive(self, inbox: Inbox, body: SimInbound) -> Message:
        in_reply_to = None
        if body.thread_id is not None:
            if self.store.thread(inbox.id, body.thread_id) is None:
                raise not_found("thread", body.thread_id)
            in_reply_to = self.store.latest_in_thread(body.thread_id)
        message = self.store.add_message(
            inbox.id,
            direction="inbound",
            sender=body.from_,
            to=body.to or [inbox.email],
            subject=body.subject,
            plain_body=body.plain_body,
            html_body=body.html_body,
            thread_id=body.thread_id,
            in_reply_to=in_reply_to,
        )
        self._announce("message.received", message)
        return message

    def send(
        self,
        inbox: Inbox,
        *,
        to: list[str],
        subject: str,
        plain_body: str | None,
        html_body: str | None,
        replying_to: Message | None = None,
        draft_id: str | None = None,
    ) -> dict[str, Any]:
        message = self.store.send(
            inbox,
            to=to,
            subject=subject,
            plain_body=plain_body,
            html_body=html_body,
            thread_id=replying_to.thread_id if replying_to else None,
            in_reply_to=replying_to.id if replying_to else None,
            draft_id=draft_id,
        )
        self._announce("message.sent", message)
        result: dict[str, Any] = {
            "id": message.id,
            "threadId": message.thread_id,
            "status": "sent",
            "messageId": message.id,
        }
        if draft_id is not None:
            result["draftId"] = draft_id
        return result
