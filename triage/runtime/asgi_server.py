"""Run an ASGI app with uvicorn inside the current event loop.

Used by the emulator, the API and test servers: a real socket on a real
port, started and stopped with the caller's lifetime.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

# A request line plus headers larger than this is refused (400) before any app code runs.
MAX_HEADER_BYTES = 32 * 1024
# For servers that face browsers or other untrusted clients: h11 (not httptools, which
# buffers a header of any size) with its incomplete-event limit bounding the request head.
BOUNDED_HTTP: dict[str, object] = {"http": "h11", "h11_max_incomplete_event_size": MAX_HEADER_BYTES}


class StartRefused(SystemExit):
    """A server will not start as configured: says why on stderr, exits with status 2.

    Printed here because a CLI wrapper may swallow a ``SystemExit``'s message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message
        print(message, file=sys.stderr, flush=True)

    def __str__(self) -> str:
        return self.message


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields ``http://host:port``."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
            raise RuntimeError("uvicorn stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, 10)
        except TimeoutError:
            server.force_exit = True
            await asyncio.gather(task, return_exceptions=True)
