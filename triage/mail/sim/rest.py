"""The myagentmail REST API under ``/v1``: inboxes, messages, threads, sends and drafts.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures at runtime.
"""

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from triage.mail.sim.errors import ApiError, not_found
from triage.mail.sim.mailbox import Mailbox
from triage.mail.sim.records import Draft, Inbox, Message
from triage.mail.sim.wire import (
    HEADER_CONTROL,
    DraftFields,
    InboxCreate,
    ReplyBody,
    SendBody,
    draft_json,
    inbox_json,
    message_json,
    pagination,
    single_address,
)

MAX_PAGE = 100
DEFAULT_PAGE = 50


def _reply_recipients(original: Message) -> list[str]:
    recipients = [original.sender] if original.direction == "inbound" else list(original.to)
    if not all(single_address(r) for r in recipients):
        raise ApiError(400, "VALIDATION_ERROR", "the original sender is not a single email address")
    return recipients


def _reply_subject(original: Message) -> str:
    subject = original.subject if original.subject[:3].lower() == "re:" else f"Re: {original.subject}"
    if HEADER_CONTROL.search(subject):
        raise ApiError(400, "VALIDATION_ERROR", "the original subject holds control characters")
    return subject


PageLimit = Annotated[int, Query(ge=1)]
PageOffset = Annotated[int, Query(ge=0)]


def v1_routes(mail: Mailbox) -> APIRouter:
    store = mail.store
    router = APIRouter(prefix="/v1")

    @router.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        inbox: Inbox = request.state.key_inbox
        return {
            "id": "acct_mailsim",
            "inboxId": inbox.id,
            "email": inbox.email,
            "inboxes": [i.id for i in store.inboxes()],
        }

    @router.get("/inboxes")
    async def list_inboxes() -> dict[str, Any]:
        return {"inboxes": [inbox_json(i) for i in store.inboxes()]}

    @router.post("/inboxes", status_code=201)
    async def create_inbox(request: Request, body: InboxCreate | None = None) -> Any:
        body = body or InboxCreate()
        key_inbox: Inbox = request.state.key_inbox
        username = body.username or f"agent-{secrets.token_hex(4)}"
        inbox, existed = store.create_inbox(username, body.domain or key_inbox.domain, body.display_name)
        if existed:
            return JSONResponse(inbox_json(inbox) | {"existed": True}, status_code=200)
        return inbox_json(inbox) | {"existed": False}

    @router.get("/inboxes/{inbox_id}")
    async def get_inbox(inbox_id: str) -> dict[str, Any]:
        return inbox_json(mail.inbox(inbox_id))

    @router.get("/inboxes/{inbox_id}/messages")
    async def list_messages(
        inbox_id: str,
        limit: PageLimit = DEFAULT_PAGE,
        offset: PageOffset = 0,
        direction: Literal["inbound", "outbound"] | None = None,
    ) -> dict[str, Any]:
        mail.inbox(inbox_id)
        limit = min(limit, MAX_PAGE)
        messages, total = store.messages(inbox_id, direction=direction, limit=limit, offset=offset)
        return {
            "messages": [message_json(m) for m in messages],
            "pagination": pagination(total, limit, offset),
        }

    @router.get("/inboxes/{inbox_id}/messages/{message_id}")
    async def get_message(inbox_id: str, message_id: str) -> dict[str, Any]:
        mail.inbox(inbox_id)
        message = mail.message(inbox_id, message_id)
        if not message.is_read:
            store.mark_read(message.id)
        return message_json(message) | {"isRead": True}

    @router.get("/inboxes/{inbox_id}/threads/{thread_id}")
    async def get_thread(inbox_id: str, thread_id: str) -> dict[str, Any]:
        mail.inbox(inbox_id)
        if store.thread(inbox_id, thread_id) is None:
            raise not_found("thread", thread_id)
        messages = store.thread_messages(thread_id)
        return {
            "threadId": thread_id,
            "messageCount": len(messages),
            "messages": [message_json(m) for m in messages],
        }

    @router.post("/inboxes/{inbox_id}/send")
    async def send(inbox_id: str, body: SendBody) -> dict[str, Any]:
        inbox = mail.inbox(inbox_id)
        return mail.send(
            inbox, to=body.to, subject=body.subject, plain_body=body.plain_body, html_body=body.html_body
        )

    @router.post("/inboxes/{inbox_id}/reply/{message_id}")
    async def reply(inbox_id: str, message_id: str, body: ReplyBody) -> dict[str, Any]:
        inbox = mail.inbox(inbox_id)
        original = mail.message(inbox_id, message_id)
        return mail.send(
            inbox,
            to=_reply_recipients(original),
            subject=_reply_subject(original),
            plain_body=body.plain_body,
            html_body=body.html_body,
            replying_to=original,
        )

    @router.get("/inboxes/{inbox_id}/drafts")
    async def list_drafts(
        inbox_id: str, limit: PageLimit = DEFAULT_PAGE, offset: PageOffset = 0
    ) -> dict[str, Any]:
        mail.inbox(inbox_id)
        limit = min(limit, MAX_PAGE)
        drafts, total = store.drafts(inbox_id, limit=limit, offset=offset)
        return {"drafts": [draft_json(d) for d in drafts], "pagination": pagination(total, limit, offset)}

    @router.post("/inboxes/{inbox_id}/drafts", status_code=201)
    async def create_draft(inbox_id: str, body: DraftFields | None = None) -> dict[str, Any]:
        mail.inbox(inbox_id)
        body = body or DraftFields()
        if body.reply_to_message_id is not None:
            mail.message(inbox_id, body.reply_to_message_id)
        return draft_json(store.create_draft(inbox_id, body.model_dump()))

    async def patch(draft: Draft, body: DraftFields) -> dict[str, Any]:
        changes = {name: getattr(body, name) for name in body.model_fields_set}
        if changes.get("reply_to_message_id") is not None:
            mail.message(draft.inbox_id, changes["reply_to_message_id"])
        return draft_json(store.update_draft(draft.id, changes))

    @router.get("/inboxes/{inbox_id}/drafts/{draft_id}")
    async def get_draft(inbox_id: str, draft_id: str) -> dict[str, Any]:
        mail.inbox(inbox_id)
        return draft_json(mail.draft(draft_id, inbox_id))

    @router.patch("/inboxes/{inbox_id}/drafts/{draft_id}")
    async def patch_draft(inbox_id: str, draft_id: str, body: DraftFields) -> dict[str, Any]:
        mail.inbox(inbox_id)
        return await patch(mail.draft(draft_id, inbox_id), body)

    @router.delete("/inboxes/{inbox_id}/drafts/{draft_id}", status_code=204)
    async def delete_draft(inbox_id: str, draft_id: str) -> Response:
        mail.inbox(inbox_id)
        store.delete_draft(mail.draft(draft_id, inbox_id).id)
        return Response(status_code=204)

    @router.post("/inboxes/{inbox_id}/drafts/{draft_id}/send")
    async def send_draft(inbox_id: str, draft_id: str) -> dict[str, Any]:
        inbox = mail.inbox(inbox_id)
        draft = mail.draft(draft_id, inbox_id)
        original = mail.message(inbox_id, draft.reply_to_message_id) if draft.reply_to_message_id else None
        to = draft.to or (_reply_recipients(original) if original else [])
        if not to:
            raise ApiError(400, "VALIDATION_ERROR", "draft has no recipients")
        subject = draft.subject
        if not subject and original is not None:
            subject = _reply_subject(original)
        return mail.send(
            inbox,
            to=to,
            subject=subject or "",
            plain_body=draft.plain_body,
            html_body=draft.html_body,
            replying_to=original,
            draft_id=draft.id,
        )

    @router.get("/drafts/{draft_id}")
    async def get_draft_alias(draft_id: str) -> dict[str, Any]:
        return draft_json(mail.draft(draft_id))

    @router.patch("/drafts/{draft_id}")
    async def patch_draft_alias(draft_id: str, body: DraftFields) -> dict[str, Any]:
        return await patch(mail.draft(draft_id), body)

    return router
