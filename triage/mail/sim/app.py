"""A local emulator of the myagentmail API: REST, WebSocket and a ``/_sim`` control plane.

Wire shapes follow the project's notes on the public docs: camelCase REST
bodies, ``{error, code}`` errors, snake_case socket frames, no replay on the
socket, drafts that can be sent once. ``/_sim/*`` (no key) lets tests and the
demo inject inbound mail, read what was sent and switch faults on and off.

This module only assembles the parts: ``rest`` (``/v1``), ``socket``
(``/v1/ws``, served by ``hub``), ``control`` (``/_sim``), the ``gate`` every
REST call passes and the ``errors`` they answer with.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from triage.mail.sim.control import control_routes
from triage.mail.sim.errors import install_error_handlers
from triage.mail.sim.faults import Faults
from triage.mail.sim.gate import V1Gate
from triage.mail.sim.hub import Hub
from triage.mail.sim.mailbox import Mailbox
from triage.mail.sim.rest import v1_routes
from triage.mail.sim.socket import socket_route
from triage.mail.sim.store import Store


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
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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
    install_error_handlers(app)
    app.include_router(v1_routes(mail))
    app.include_router(control_routes(mail, faults, inbox_id))
    socket_route(app, mail, frozenset(o.rstrip("/").lower() for o in allowed_origins or []))
    return app
