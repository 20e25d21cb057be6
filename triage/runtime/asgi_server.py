"""Run an ASGI app with uvicorn inside the current event loop.

Used by the emulator, the API and test servers: a real socket on a real
port, started and stopped with the caller's lifetime.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.lifespan.on import LifespanOn

# A request line plus headers larger than this is refused (400) before any app code runs.
MAX_HEADER_BYTES = 32 * 1024
# Seconds open requests and streams get to finish when a server stops; then they are dropped.
STOP_GRACE = 10.0
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


@contextmanager
def _caller_owns_signals() -> Iterator[None]:
    """Stands in for ``uvicorn.Server.capture_signals``: the process's own handlers stay in place.

    ``run_until_interrupted`` turns Ctrl-C and SIGTERM into one cancellation. uvicorn's own
    handlers would take a terminal's SIGINT followed by another as "force quit", which
    skips the lifespan's end (a shutdown traceback).
    """
    yield


def own_signals(server: uvicorn.Server) -> uvicorn.Server:
    """``server`` with uvicorn's signal handling turned off (see ``_caller_owns_signals``)."""
    server.capture_signals = _caller_owns_signals  # type: ignore[method-assign]  # replacing that one method is the point
    return server


async def close_server(server: uvicorn.Server, task: asyncio.Task[None], grace: float = STOP_GRACE) -> None:
    """Stop ``server`` (served by ``task``) in order, however often the caller is cancelled meanwhile.

    Sockets close, open requests get ``grace`` seconds (then they are dropped), and the
    lifespan's end always runs, so nothing is left for the event loop's teardown to cancel
    into a traceback. A cancellation that arrived meanwhile is raised once all is closed.
    """
    loop = asyncio.get_running_loop()
    server.should_exit = True
    forced_at = loop.time() + grace
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait({task}, timeout=max(forced_at - loop.time(), 0))
        except asyncio.CancelledError:
            cancelled = True  # asked again: closing is what is being asked, so go on
            continue
        if not task.done():
            server.force_exit = True
    lifespan = getattr(server, "lifespan", None)
    if isinstance(lifespan, LifespanOn) and not lifespan.shutdown_event.is_set():
        await lifespan.shutdown()  # uvicorn skips it on a forced exit or when its task was cancelled
    if cancelled:
        raise asyncio.CancelledError
    if not task.cancelled():
        task.result()  # the server's own error, if it had one


@asynccontextmanager
async def serving(app: ASGIApp, host: str = "127.0.0.1", port: int = 0, **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` until the block exits; yields ``http://host:port``."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", **options)
    server = own_signals(uvicorn.Server(config))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the start-up error
            raise RuntimeError("uvicorn stopped during start-up")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        await close_server(server, task)
