"""Run the emulator: in-process for tests (``running_mailsim``) or as a service (``serve_mailsim``).

Both use uvicorn with a WebSocket protocol that hands the app its transport,
so that ``drop_sockets`` can cut connections without a closing handshake, the
way a failing network does.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from triage.mail.sim.app import create_app
from triage.mail.sim.hub import TRANSPORT_EXTENSION
from triage.runtime.asgi_server import close_server, own_signals, serving

WS_MAX_SIZE = 64 * 1024 * 1024


class TransportExposingProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, plus the raw transport in the ASGI scope."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][TRANSPORT_EXTENSION] = self.transport


@dataclass(frozen=True)
class RunningMailSim:
    """Where a running emulator answers, and with which credentials."""

    control_url: str  # http://host:port, for /_sim/*
    base_url: str  # REST base, .../v1
    ws_url: str  # ws://host:port/v1/ws
    api_key: str
    inbox_id: str
    inbox_email: str
    db_path: Path
    app: FastAPI


def _server(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        ws=TransportExposingProtocol,
        ws_max_size=WS_MAX_SIZE,
        timeout_graceful_shutdown=5,
    )
    return own_signals(uvicorn.Server(config))


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> int:
    """Waits for the listening socket; returns its port (the real one when 0 was asked)."""
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped during start-up")
        await asyncio.sleep(0.02)
    return server.servers[0].sockets[0].getsockname()[1]


def _urls(host: str, port: int) -> tuple[str, str, str]:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    control = f"http://{shown}:{port}"
    return control, f"{control}/v1", f"ws://{shown}:{port}/v1/ws"


@asynccontextmanager
async def running_mailsim(
    db_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str = "sim-dev-key",
    inbox_id: str = "support",
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
    seed: int | None = None,
) -> AsyncIterator[RunningMailSim]:
    """The emulator on a free port inside the running loop, stopped (sockets closed) on exit."""
    app = create_app(db_path, api_key, inbox_id, inbox_email, ping_interval, seed=seed)
    async with serving(
        app, host, port, ws=TransportExposingProtocol, ws_max_size=WS_MAX_SIZE, timeout_graceful_shutdown=5
    ) as url:
        bound = int(url.rsplit(":", 1)[1])
        control, base, ws = _urls(host, bound)
        yield RunningMailSim(control, base, ws, api_key, inbox_id, inbox_email, Path(db_path), app)


async def serve_mailsim(
    host: str = "127.0.0.1",
    port: int = 8725,
    db_path: Path = Path(".data/mailsim.db"),
    api_key: str = "sim-dev-key",
    inbox_id: str = "support",
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
    *,
    seed: int | None = None,
    log_level: str = "warning",
) -> None:
    """Serves until cancelled (``run_until_interrupted``: Ctrl-C, SIGTERM), then stops gracefully."""
    app = create_app(db_path, api_key, inbox_id, inbox_email, ping_interval, seed=seed)
    server = _server(app, host, port, log_level)
    with contextlib.suppress(NotImplementedError, RuntimeError):  # SIGTERM: the same graceful stop
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: setattr(server, "should_exit", True)
        )
    task = asyncio.create_task(server.serve())
    bound = await _started(server, task)
    control, base, ws = _urls(host, bound)
    print(f"myagentmail emulator on {control}  (db {db_path})", flush=True)
    print(f"  REST base  {base}", flush=True)
    print(f"  WebSocket  {ws}", flush=True)
    print(f"  inbox      {inbox_id} <{inbox_email}>", flush=True)
    # Never the key itself: a real one must not end up in a terminal or a log.
    print(
        f"  API key    {'the default demo key' if api_key == 'sim-dev-key' else '(as given; not shown)'}",
        flush=True,
    )
    print(
        f"  control    POST {control}/_sim/inbound, GET {control}/_sim/sent, POST {control}/_sim/faults",
        flush=True,
    )
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await close_server(server, task)  # the sockets, open requests, the lifespan's end; then re-raises
        raise


async def wait_for_subscriber(control_url: str, timeout: float) -> bool:
    """Until a socket is open on the emulator at ``control_url`` (a watcher subscribed); False after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with httpx.AsyncClient(base_url=control_url, timeout=2) as http:
        while True:
            with contextlib.suppress(httpx.HTTPError, ValueError):  # not up yet, or not answering
                if (await http.get("/_sim/health")).json()["sockets"] >= 1:
                    return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)
