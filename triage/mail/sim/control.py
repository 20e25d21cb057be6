"""The ``/_sim`` control plane (no key): inject inbound mail, read what was sent, switch faults.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures at runtime.
"""

from typing import Any

from fastapi import APIRouter

from triage.mail.sim.faults import FaultPatch, Faults
from triage.mail.sim.mailbox import Mailbox
from triage.mail.sim.wire import SimInbound


def control_routes(mail: Mailbox, faults: Faults, default_inbox: str) -> APIRouter:
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
