"""A faithful local emulator of the myagentmail API (REST + WebSocket).

Shapes follow ``shared/specs/myagentmail-api.md``: camelCase REST bodies,
``{error, code}`` errors, snake_case socket frames, no replay on the socket,
single-send drafts. ``/_sim/*`` is the control plane for tests and the demo
(inbound mail, the sent log, fault injection); it needs no key.
"""

import asyncio
import hmac
import json
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response

from triage.mailsim.store import Store, new_id, now_iso

log = logging.getLogger(__name__)


@dataclass
class Faults:
    half_open: bool = False
    duplicate_probability: float = 0.0
    rest_failure_rate: float = 0.0
    rest_failure_status: int = 500
    retry_after: int = 1
    latency_ms: int = 0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


class Subscriber:
    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.event_types: set[str] = set()
        self.inbox_ids: set[str] = set()
        self.subscribed = False

    def wants(self, event_type: str, inbox_id: str) -> bool:
        return (
            self.subscribed
            and event_type in self.event_types
            and (not self.inbox_ids or inbox_id in self.inbox_ids)
        )


def create_app(
    db_path: Path,
    api_key: str = "sim-dev-key",
    inbox_id: str = "support",
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
    seed: int | None = None,
) -> FastAPI:
    store = Store(db_path)
    store.ensure_inbox(inbox_id, inbox_email)
    faults = Faults()
    rng = random.Random(seed)
    subscribers: set[Subscriber] = set()

    app = FastAPI(title="myagentmail emulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json")
    app.state.store = store

    def authorised(headers, query) -> bool:
        given = headers.get("x-api-key") or query.get("api_key") or ""
        auth = headers.get("authorization", "")
        if not given and auth.lower().startswith("bearer "):
            given = auth[7:]
        return hmac.compare_digest(given.encode(), api_key.encode())

    @app.middleware("http")
    async def gatekeeper(request: Request, call_next):
        if not request.url.path.startswith("/v1/"):
            return await call_next(request)
        if not authorised(request.headers, request.query_params):
            return _error(401, "UNAUTHORIZED", "missing or invalid API key")
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.rest_failure_rate and rng.random() < faults.rest_failure_rate:
            status = faults.rest_failure_status
            headers = {"Retry-After": str(faults.retry_after)} if status == 429 else None
            code = "RATE_LIMITED" if status == 429 else "INTERNAL_ERROR"
            return _error(status, code, "injected fault", headers)
        try:
            return await call_next(request)
        except ApiError as err:
            return _error(err.status, err.code, err.message)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, err: ApiError) -> JSONResponse:
        return _error(err.status, err.code, err.message)

    async def body_of(request: Request) -> dict:
        raw = await request.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, "VALIDATION_ERROR", "body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "VALIDATION_ERROR", "body must be a JSON object")
        return data

    def need_inbox(iid: str) -> dict:
        inbox = store.get_inbox(iid)
        if not inbox:
            raise ApiError(404, "NOT_FOUND", f"inbox {iid} not found")
        return inbox

    def page_args(request: Request) -> tuple[int, int]:
        try:
            limit = int(request.query_params.get("limit", 50))
            offset = int(request.query_params.get("offset", 0))
        except ValueError:
            raise ApiError(400, "VALIDATION_ERROR", "limit and offset must be integers") from None
        if limit < 1 or offset < 0:
            raise ApiError(400, "VALIDATION_ERROR", "limit must be >= 1 and offset >= 0")
        return min(limit, 100), offset

    def str_list(value, field: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise ApiError(400, "VALIDATION_ERROR", f"{field} must be a string or a list of strings")

    async def broadcast(event_type: str, inbox: str, frame: dict) -> None:
        if faults.half_open:
            return  # a half-open socket: nothing arrives, nothing is closed
        copies = 2 if faults.duplicate_probability and rng.random() < faults.duplicate_probability else 1
        text = json.dumps(frame)
        for sub in list(subscribers):
            if sub.wants(event_type, inbox):
                for _ in range(copies):
                    try:
                        await sub.ws.send_text(text)
                    except Exception:  # noqa: BLE001 - a dead socket is the client's problem
                        subscribers.discard(sub)

    def event_frame(event_type: str, msg: dict) -> dict:
        return {
            "type": "event",
            "event_type": event_type,
            "event_id": new_id("evt"),
            "message": {
                "inbox_id": msg["inboxId"],
                "message_id": msg["id"],
                "thread_id": msg["threadId"],
                "from": msg["from"],
                "to": msg["to"],
                "subject": msg["subject"],
                "plain_body": msg["plainBody"],
                "html_body": msg["htmlBody"],
                "timestamp": msg["receivedAt"],
            },
            "thread": {"thread_id": msg["threadId"], "subject": msg["subject"]},
        }

    def public(msg: dict) -> dict:
        return {k: v for k, v in msg.items() if k != "inboxId"} | {"inboxId": msg["inboxId"]}

    async def record_outbound(inbox: dict, *, to, subject, plain, html, in_reply_to, thread_id, draft_id=None) -> dict:
        msg = {
            "id": new_id("msg"),
            "inboxId": inbox["id"],
            "direction": "outbound",
            "from": inbox["email"],
            "to": to,
            "subject": subject,
            "plainBody": plain,
            "htmlBody": html,
            "isRead": True,
            "threadId": thread_id or new_id("thr"),
            "messageIdHeader": f"<{new_id('mid')}@myagentmail.sim>",
            "inReplyTo": in_reply_to,
            "receivedAt": now_iso(),
            "attachments": [],
        }
        store.add_message(msg)
        store.add_sent(
            {
                "message_id": msg["id"],
                "inbox_id": inbox["id"],
                "to": to,
                "subject": subject,
                "plain_body": plain,
                "in_reply_to": in_reply_to,
                "draft_id": draft_id,
                "sent_at": msg["receivedAt"],
            }
        )
        await broadcast("message.sent", inbox["id"], event_frame("message.sent", msg))
        return {"id": msg["id"], "threadId": msg["threadId"], "status": "sent", "messageId": msg["id"]}

    # ---- REST ------------------------------------------------------------------

    @app.get("/v1/me")
    async def me():
        inboxes = store.list_inboxes()
        return {"id": "acct_sim", "inboxes": [i["id"] for i in inboxes], "email": inboxes[0]["email"]}

    @app.get("/v1/inboxes")
    async def list_inboxes():
        return {"inboxes": store.list_inboxes()}

    @app.post("/v1/inboxes", status_code=201)
    async def create_inbox(request: Request):
        data = await body_of(request)
        username = str(data.get("username") or new_id("box"))
        existing = store.inbox_by_username(username)
        if existing:
            return JSONResponse(existing | {"existed": True}, status_code=200)
        doc = {
            "id": new_id("inb"),
            "email": f"{username}@{data.get('domain') or 'myagentmail.sim'}",
            "username": username,
            "displayName": data.get("displayName") or username,
            "createdAt": now_iso(),
        }
        store.put_inbox(doc)
        return doc

    @app.get("/v1/inboxes/{iid}")
    async def get_inbox(iid: str):
        return need_inbox(iid)

    @app.get("/v1/inboxes/{iid}/messages")
    async def list_messages(iid: str, request: Request):
        need_inbox(iid)
        limit, offset = page_args(request)
        direction = request.query_params.get("direction")
        if direction not in (None, "inbound", "outbound"):
            raise ApiError(400, "VALIDATION_ERROR", "direction must be inbound or outbound")
        docs, total = store.list_messages(iid, direction, limit, offset)
        return {"messages": docs, "pagination": {"total": total, "limit": limit, "offset": offset}}

    @app.get("/v1/inboxes/{iid}/messages/{mid}")
    async def get_message(iid: str, mid: str):
        need_inbox(iid)
        msg = store.get_message(iid, mid)
        if not msg:
            raise ApiError(404, "NOT_FOUND", f"message {mid} not found")
        if not msg["isRead"]:
            msg["isRead"] = True
            store.put_message(msg)
        return msg

    @app.get("/v1/inboxes/{iid}/threads/{tid}")
    async def get_thread(iid: str, tid: str):
        need_inbox(iid)
        messages = store.thread_messages(iid, tid)
        if not messages:
            raise ApiError(404, "NOT_FOUND", f"thread {tid} not found")
        return {"threadId": tid, "messageCount": len(messages), "messages": messages}

    @app.post("/v1/inboxes/{iid}/send")
    async def send(iid: str, request: Request):
        inbox = need_inbox(iid)
        data = await body_of(request)
        to = str_list(data.get("to"), "to")
        if not to or not data.get("subject"):
            raise ApiError(400, "VALIDATION_ERROR", "to and subject are required")
        return await record_outbound(
            inbox, to=to, subject=data["subject"], plain=data.get("plainBody") or "",
            html=data.get("htmlBody"), in_reply_to=None, thread_id=None,
        )

    @app.post("/v1/inboxes/{iid}/reply/{mid}")
    async def reply(iid: str, mid: str, request: Request):
        inbox = need_inbox(iid)
        data = await body_of(request)
        original = store.get_message(iid, mid)
        if not original:
            raise ApiError(404, "NOT_FOUND", f"message {mid} not found")
        if not isinstance(data.get("plainBody"), str):
            raise ApiError(400, "VALIDATION_ERROR", "plainBody is required")
        subject = original["subject"] or ""
        return await record_outbound(
            inbox, to=[original["from"]], subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
            plain=data["plainBody"], html=data.get("htmlBody"), in_reply_to=mid, thread_id=original["threadId"],
        )

    @app.get("/v1/inboxes/{iid}/drafts")
    async def list_drafts(iid: str, request: Request):
        need_inbox(iid)
        limit, offset = page_args(request)
        docs, total = store.list_drafts(iid, limit, offset)
        return {"drafts": docs, "pagination": {"total": total, "limit": limit, "offset": offset}}

    @app.post("/v1/inboxes/{iid}/drafts", status_code=201)
    async def create_draft(iid: str, request: Request):
        need_inbox(iid)
        data = await body_of(request)
        reply_to = data.get("replyToMessageId")
        if reply_to is not None and not store.get_message(iid, reply_to):
            raise ApiError(400, "VALIDATION_ERROR", f"replyToMessageId {reply_to} not found")
        stamp = now_iso()
        doc = {
            "id": new_id("drf"),
            "inboxId": iid,
            "to": str_list(data.get("to"), "to"),
            "cc": str_list(data.get("cc"), "cc"),
            "bcc": str_list(data.get("bcc"), "bcc"),
            "subject": data.get("subject"),
            "plainBody": data.get("plainBody"),
            "htmlBody": data.get("htmlBody"),
            "replyToMessageId": reply_to,
            "createdAt": stamp,
            "updatedAt": stamp,
        }
        store.add_draft(doc)
        return doc

    def need_draft(did: str, iid: str | None = None) -> dict:
        doc = store.get_draft(did, iid)
        if not doc:
            raise ApiError(404, "NOT_FOUND", f"draft {did} not found")
        return doc

    @app.get("/v1/inboxes/{iid}/drafts/{did}")
    async def get_draft(iid: str, did: str):
        need_inbox(iid)
        return need_draft(did, iid)

    @app.get("/v1/drafts/{did}")
    async def get_draft_alias(did: str):
        return need_draft(did)

    async def patch(did: str, iid: str | None, request: Request) -> dict:
        doc = need_draft(did, iid)
        data = await body_of(request)
        for field in ("subject", "plainBody", "htmlBody", "replyToMessageId"):
            if field in data:
                doc[field] = data[field]
        for field in ("to", "cc", "bcc"):
            if field in data:
                doc[field] = str_list(data[field], field)
        doc["updatedAt"] = now_iso()
        store.put_draft(doc)
        return doc

    @app.patch("/v1/inboxes/{iid}/drafts/{did}")
    async def patch_draft(iid: str, did: str, request: Request):
        need_inbox(iid)
        return await patch(did, iid, request)

    @app.patch("/v1/drafts/{did}")
    async def patch_draft_alias(did: str, request: Request):
        return await patch(did, None, request)

    @app.delete("/v1/inboxes/{iid}/drafts/{did}")
    async def delete_draft(iid: str, did: str):
        need_inbox(iid)
        need_draft(did, iid)
        store.take_draft(did)
        return Response(status_code=204)

    @app.post("/v1/inboxes/{iid}/drafts/{did}/send")
    async def send_draft(iid: str, did: str):
        inbox = need_inbox(iid)
        doc = need_draft(did, iid)
        if not doc["to"]:
            raise ApiError(400, "VALIDATION_ERROR", "draft has no recipient")
        if not store.take_draft(did):  # a concurrent send won
            raise ApiError(404, "NOT_FOUND", f"draft {did} not found")
        original = store.get_message(iid, doc["replyToMessageId"]) if doc["replyToMessageId"] else None
        subject = doc["subject"]
        if subject is None and original:
            subject = f"Re: {original['subject']}"
        result = await record_outbound(
            inbox, to=doc["to"], subject=subject or "", plain=doc["plainBody"] or "", html=doc["htmlBody"],
            in_reply_to=original["id"] if original else None,
            thread_id=original["threadId"] if original else None, draft_id=did,
        )
        return result | {"draftId": did}

    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    async def unknown(rest: str):
        raise ApiError(404, "NOT_FOUND", f"no route /v1/{rest}")

    # ---- WebSocket ---------------------------------------------------------------

    @app.websocket("/v1/ws")
    async def socket(ws: WebSocket):
        await ws.accept()
        if not authorised(ws.headers, ws.query_params):
            await ws.send_text(json.dumps({"type": "error", "message": "missing or invalid API key"}))
            await ws.close(code=4401)
            return
        sub = Subscriber(ws)
        subscribers.add(sub)
        inbox = store.list_inboxes()[0]
        await ws.send_text(json.dumps({"type": "connected", "inboxId": inbox["id"], "email": inbox["email"]}))

        async def pinger() -> None:
            while True:
                await asyncio.sleep(ping_interval)
                if not faults.half_open:
                    await ws.send_text('{"type": "ping"}')

        ping_task = asyncio.create_task(pinger())
        try:
            while True:
                raw = await ws.receive_text()
                reply = handle_client_frame(sub, raw)
                if reply and not faults.half_open:
                    await ws.send_text(json.dumps(reply))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            ping_task.cancel()
            subscribers.discard(sub)

    def handle_client_frame(sub: Subscriber, raw: str) -> dict | None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return {"type": "error", "message": "frame is not valid JSON"}
        if not isinstance(frame, dict):
            return {"type": "error", "message": "frame must be a JSON object"}
        kind = frame.get("type")
        if kind == "pong":
            return None
        if kind != "subscribe":
            return {"type": "error", "message": f"unknown frame type {kind!r}"}
        event_types = frame.get("event_types")
        inbox_ids = frame.get("inbox_ids") or []
        workspaces = frame.get("workspace_ids") or frame.get("pod_ids") or []
        if not isinstance(event_types, list) or not event_types or not isinstance(inbox_ids, list):
            return {"type": "error", "message": "subscribe needs event_types (list) and inbox_ids (list)"}
        sub.event_types, sub.inbox_ids, sub.subscribed = set(event_types), set(inbox_ids), True
        return {"type": "subscribed", "event_types": event_types, "inbox_ids": inbox_ids, "workspace_ids": workspaces}

    # ---- control plane -------------------------------------------------------------

    @app.get("/_sim/health")
    async def health():
        return {"status": "ok"}

    @app.post("/_sim/inbound", status_code=201)
    async def inbound(request: Request):
        data = await body_of(request)
        iid = data.get("inbox_id") or inbox_id
        inbox = need_inbox(iid)
        sender = data.get("from")
        if not isinstance(sender, str) or not sender:
            raise ApiError(400, "VALIDATION_ERROR", "from is required")
        thread_id = data.get("thread_id") or new_id("thr")
        msg = {
            "id": new_id("msg"),
            "inboxId": iid,
            "direction": "inbound",
            "from": sender,
            "to": str_list(data.get("to"), "to") or [inbox["email"]],
            "subject": data.get("subject") or "",
            "plainBody": data.get("plain_body") or "",
            "htmlBody": data.get("html_body"),
            "isRead": False,
            "threadId": thread_id,
            "messageIdHeader": f"<{new_id('mid')}@example.sim>",
            "inReplyTo": None,
            "receivedAt": now_iso(),
            "attachments": [],
        }
        store.add_message(msg)
        await broadcast("message.received", iid, event_frame("message.received", msg))
        return {"message_id": msg["id"], "thread_id": thread_id, "inbox_id": iid}

    @app.get("/_sim/sent")
    async def sent():
        return {"sent": store.list_sent()}

    @app.get("/_sim/faults")
    async def get_faults():
        return asdict(faults)

    @app.post("/_sim/faults")
    async def set_faults(request: Request):
        data = await body_of(request)
        if data.pop("drop_sockets", False):
            for sub in list(subscribers):
                subscribers.discard(sub)
                try:
                    await sub.ws.close(code=1012)
                except Exception:  # noqa: BLE001
                    pass
        for key, value in data.items():
            if not hasattr(faults, key):
                raise ApiError(400, "VALIDATION_ERROR", f"unknown fault {key!r}")
            setattr(faults, key, type(getattr(faults, key))(value))
        return asdict(faults)

    @app.delete("/_sim/faults")
    async def reset_faults():
        for key, value in asdict(Faults()).items():
            setattr(faults, key, value)
        return asdict(faults)

    @app.on_event("shutdown")
    async def close_store() -> None:
        for sub in list(subscribers):
            try:
                await sub.ws.close(code=1001)
            except Exception:  # noqa: BLE001
                pass
        store.close()

    return app
