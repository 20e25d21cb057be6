"""A local emulator of the myagentmail API: REST, WebSocket and a ``/_sim`` control plane.

Wire shapes follow the project's notes on the public docs: camelCase REST
bodies, ``{error, code}`` errors, snake_case socket frames, no replay on the
socket, drafts that can be sent once. ``/_sim/*`` (no key) lets tests and the
demo inject inbound mail, read what was sent and switch faults on and off.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures at runtime.
"""

import asyncio
import re
import secrets
from contextlib import asynccontextmanager
from email.utils import getaddresses
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from triage.mailsim.faults import FaultPatch, Faults
from triage.mailsim.hub import Hub
from triage.mailsim.store import Draft, Inbox, Message, Store

MAX_PAGE = 100
DEFAULT_PAGE = 50

_STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
}


class ApiError(Exception):
    """An error answered as ``{"error": message, "code": code}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"{what} {ident} not found")


# ---- request bodies ---------------------------------------------------------------

# "ann@example.org" or "Ann Lee <ann@example.org>"; loose about names, like most mail APIs.
_ADDRESS = re.compile(r"^(?:[^<>]*<)?\s*[^@\s<>]+@[^@\s<>]+\s*>?$")
# What a real mail service refuses in a header: CR, LF and the other control characters.
_HEADER_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _as_list(value: Any) -> Any:
    """One recipient may be given as a bare string, as mail APIs commonly allow."""
    return [value] if isinstance(value, str) else value


def single_address(value: str) -> bool:
    """One address per list item: no header injection, no "a@x, Eve <e@y>" lists."""
    if _HEADER_CONTROL.search(value) or not _ADDRESS.match(value.strip()):
        return False
    try:
        return len([pair for pair in getaddresses([value]) if any(pair)]) == 1
    except Exception:  # unparseable is not an address
        return False


def _checked_addresses(values: list[str]) -> list[str]:
    for value in values:
        if not single_address(value):
            raise ValueError(f"{value!r} is not a single email address")
    return [v.strip() for v in values]


def _checked_header(value: str | None) -> str | None:
    if value is not None and _HEADER_CONTROL.search(value):
        raise ValueError("control characters (CR, LF, ...) are not allowed in a header")
    return value


Recipients = Annotated[list[str], BeforeValidator(_as_list), AfterValidator(_checked_addresses)]
LooseRecipients = Annotated[list[str], BeforeValidator(_as_list)]
HeaderText = Annotated[str, AfterValidator(_checked_header)]


class _CamelBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="ignore")


class InboxCreate(_CamelBody):
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")] | None = None
    display_name: str | None = None
    domain: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] | None = None


class SendBody(_CamelBody):
    to: Recipients = Field(min_length=1)
    subject: HeaderText
    plain_body: str | None = None
    html_body: str | None = None
    reply_to: Recipients | None = None


class ReplyBody(_CamelBody):
    plain_body: str
    html_body: str | None = None


class DraftFields(_CamelBody):
    """Create body, and merge-patch body: ``model_fields_set`` tells what was given."""

    to: Recipients | None = None
    cc: Recipients | None = None
    bcc: Recipients | None = None
    subject: HeaderText | None = None
    plain_body: str | None = None
    html_body: str | None = None
    reply_to_message_id: str | None = None


class SimInbound(BaseModel):
    """Body of ``POST /_sim/inbound`` (snake_case, like the socket frames it causes)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    inbox_id: str | None = None
    from_: str = Field(alias="from", min_length=1)
    subject: str = ""
    plain_body: str = ""
    html_body: str | None = None
    thread_id: str | None = None
    to: LooseRecipients | None = None


# ---- response bodies --------------------------------------------------------------


def inbox_json(inbox: Inbox) -> dict[str, Any]:
    return {
        "id": inbox.id,
        "email": inbox.email,
        "username": inbox.username,
        "domain": inbox.domain,
        "displayName": inbox.display_name,
        "createdAt": inbox.created_at,
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "from": message.sender,
        "to": message.to,
        "subject": message.subject,
        "plainBody": message.plain_body,
        "htmlBody": message.html_body,
        "isRead": message.is_read,
        "threadId": message.thread_id,
        "messageIdHeader": message.message_id_header,
        "inReplyTo": message.in_reply_to,
        "receivedAt": message.received_at,
        "attachments": [],
    }


def draft_json(draft: Draft) -> dict[str, Any]:
    return {
        "id": draft.id,
        "inboxId": draft.inbox_id,
        "to": draft.to,
        "cc": draft.cc,
        "bcc": draft.bcc,
        "subject": draft.subject,
        "plainBody": draft.plain_body,
        "htmlBody": draft.html_body,
        "replyToMessageId": draft.reply_to_message_id,
        "createdAt": draft.created_at,
        "updatedAt": draft.updated_at,
    }


def _pagination(total: int, limit: int, offset: int) -> dict[str, int]:
    return {"total": total, "limit": limit, "offset": offset}


def reply_subject(subject: str) -> str:
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


# ---- auth, faults, errors ---------------------------------------------------------


def presented_key(headers: Any, query: Any, *, allow_query: bool) -> str:
    key = headers.get("x-api-key") or ""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if not key and scheme.lower() == "bearer":
        key = token.strip()
    if not key and allow_query:
        key = query.get("api_key") or ""
    return key


def authenticate(store: Store, key: str) -> Inbox | None:
    """The inbox a key belongs to (every key ever configured on this db file stays valid)."""
    return store.inbox_for_key(key) if key else None


def _is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class V1Gate:
    """Latency, injected failures, then auth, for every REST call under ``/v1``.

    An ASGI middleware rather than a dependency so that it also covers unknown
    routes and bodies that do not parse: a real gateway answers 401 before it
    looks at either. An injected failure is decided before the call runs, so it
    never has side effects.
    """

    def __init__(self, app: ASGIApp, store: Store, faults: Faults) -> None:
        self.app, self.store, self.faults = app, store, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_v1(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_seconds:
            await asyncio.sleep(self.faults.latency_seconds)
        failure = self.faults.rest_failure()
        if failure is not None:
            response = error_response(
                failure.status, failure.code, "injected fault (mailsim)", failure.headers
            )
            await response(scope, receive, send)
            return
        request = Request(scope)
        inbox = authenticate(
            self.store, presented_key(request.headers, request.query_params, allow_query=False)
        )
        if inbox is None:
            await error_response(401, "UNAUTHORIZED", "missing or invalid API key")(scope, receive, send)
            return
        scope.setdefault("state", {})["key_inbox"] = inbox
        await self.app(scope, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        if error.get("type") == "json_invalid":
            return "request body is not valid JSON"
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        if not loc and error.get("type") == "missing":
            return "request body is required"
        msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc) or 'body'}: {msg}")
    return "; ".join(parts) or "invalid request"


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(400, "VALIDATION_ERROR", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        code = _STATUS_CODES.get(exc.status_code, "ERROR")
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        return error_response(500, "INTERNAL_ERROR", f"internal error: {type(exc).__name__}")


# ---- the app ----------------------------------------------------------------------


class Mailbox:
    """The operations REST and the control plane share: lookups and delivery."""

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


def _reply_recipients(original: Message) -> list[str]:
    recipients = [original.sender] if original.direction == "inbound" else list(original.to)
    if not all(single_address(r) for r in recipients):
        raise ApiError(400, "VALIDATION_ERROR", "the original sender is not a single email address")
    return recipients


def _reply_subject(original: Message) -> str:
    subject = reply_subject(original.subject)
    if _HEADER_CONTROL.search(subject):
        raise ApiError(400, "VALIDATION_ERROR", "the original subject holds control characters")
    return subject


PageLimit = Annotated[int, Query(ge=1)]
PageOffset = Annotated[int, Query(ge=0)]


def _v1_routes(mail: Mailbox) -> APIRouter:
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
            "pagination": _pagination(total, limit, offset),
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
        return {"drafts": [draft_json(d) for d in drafts], "pagination": _pagination(total, limit, offset)}

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


def _control_routes(mail: Mailbox, faults: Faults, default_inbox: str) -> APIRouter:
    store, hub = mail.store, mail.hub
    router = APIRouter(prefix="/_sim")

    @router.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "sockets": hub.session_count}

    @router.post("/inbound", status_code=201)
    async def inbound(body: SimInbound) -> dict[str, str]:
        inbox = mail.inbox(body.inbox_id or default_inbox)
        message = mail.receive(inbox, body)
        return {"message_id": message.id, "thread_id": message.thread_id, "inbox_id": inbox.id}

    @router.get("/sent")
    async def sent() -> dict[str, Any]:
        return {
            "sent": [
                {
                    "message_id": s.message_id,
                    "inbox_id": s.inbox_id,
                    "to": s.to,
                    "subject": s.subject,
                    "plain_body": s.plain_body,
                    "in_reply_to": s.in_reply_to,
                    "draft_id": s.draft_id,
                    "sent_at": s.sent_at,
                }
                for s in store.sent_log()
            ]
        }

    @router.get("/faults")
    async def get_faults() -> dict[str, Any]:
        return faults.as_dict()

    @router.post("/faults")
    async def set_faults(patch: FaultPatch) -> dict[str, Any]:
        faults.apply(patch)
        if patch.half_open is not None:
            hub.set_half_open(patch.half_open)
        answer = faults.as_dict()
        if patch.drop_sockets:
            answer["dropped"] = hub.drop_all()
        return answer

    @router.delete("/faults")
    async def reset_faults() -> dict[str, Any]:
        faults.reset()
        hub.set_half_open(False)
        return faults.as_dict()

    return router


def _socket_route(app: FastAPI, mail: Mailbox, allowed_origins: frozenset[str]) -> None:
    @app.websocket("/v1/ws")
    async def socket(websocket: WebSocket) -> None:
        # Browsers always send Origin and do not apply CORS to sockets: without this any
        # web page could subscribe to the local inbox with the (public) demo key.
        # Non-browser clients (the watcher) send none.
        origin = websocket.headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in allowed_origins:
            await _refuse(websocket, 403, "FORBIDDEN", "origin not allowed", 4403)
            return
        key = presented_key(websocket.headers, websocket.query_params, allow_query=True)
        inbox = authenticate(mail.store, key)
        if inbox is None:
            await _refuse(websocket)
            return
        await websocket.accept()
        await mail.hub.serve(websocket, inbox)


async def _refuse(
    websocket: WebSocket,
    status: int = 401,
    code: str = "UNAUTHORIZED",
    message: str = "missing or invalid API key",
    close_code: int = 4401,
) -> None:
    """A real HTTP error when the server can send one; otherwise accept and close with 4xxx."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(status, code, message))
        return
    await websocket.accept()
    await websocket.close(close_code, message)


def create_app(
    db_path: Path,
    api_key: str = "sim-dev-key",
    inbox_id: str = "support",
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
    *,
    seed: int | None = None,
    allowed_origins: list[str] | None = None,
) -> FastAPI:
    """The emulator on ``db_path``; the inbox and key are created there if missing.

    ``allowed_origins``: web origins whose pages may open the socket (none by default).
    """
    store = Store(Path(db_path))
    store.ensure_inbox(inbox_id, inbox_email)
    store.ensure_api_key(api_key, inbox_id)
    faults = Faults(seed)
    hub = Hub(faults, ping_interval, lambda ident: store.inbox(ident) is not None)
    mail = Mailbox(store, hub)

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        try:
            yield
        finally:
            await hub.close_all()
            store.close()

    app = FastAPI(
        title="myagentmail emulator",
        lifespan=lifespan,
        docs_url="/_sim/docs",
        redoc_url=None,
        openapi_url="/_sim/openapi.json",
    )
    app.state.store, app.state.hub, app.state.faults = store, hub, faults
    app.add_middleware(V1Gate, store=store, faults=faults)
    _install_error_handlers(app)
    app.include_router(_v1_routes(mail))
    app.include_router(_control_routes(mail, faults, inbox_id))
    _socket_route(app, mail, frozenset(o.rstrip("/").lower() for o in allowed_origins or []))
    return app
