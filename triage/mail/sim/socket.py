"""The ``/v1/ws`` socket's door: origin and key checked, then the hub serves it.

No ``from __future__ import annotations`` here: FastAPI reads the route
signatures at runtime.
"""

from fastapi import FastAPI, WebSocket

from triage.mail.sim.errors import error_response
from triage.mail.sim.gate import authenticate, presented_key
from triage.mail.sim.mailbox import Mailbox


def socket_route(app: FastAPI, mail: Mailbox, allowed_origins: frozenset[str]) -> None:
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
