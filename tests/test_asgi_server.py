"""Servers in our processes stop in order, however they are stopped: the lifespan's end always runs.

A lifespan left waiting is cancelled by the event loop's teardown, and uvicorn logs that as
an ERROR traceback when a user presses Ctrl-C (a CI failure once: SIGINT, then SIGTERM).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from triage.runtime.asgi_server import close_server, free_port, own_signals, serving


def app_recording(ends: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ends.append("lifespan ended")

    app = FastAPI(lifespan=lifespan)

    @app.get("/forever")
    async def forever() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                yield b"."
                await asyncio.sleep(0.05)

        return StreamingResponse(chunks())

    return app


async def test_cancelled_twice_while_closing_the_lifespan_still_ends(caplog: pytest.LogCaptureFixture):
    ends: list[str] = []
    started = asyncio.Event()

    async def serve() -> None:
        async with serving(app_recording(ends)):
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(serve())
    await started.wait()
    with caplog.at_level(logging.ERROR):
        task.cancel()
        await asyncio.sleep(0)  # into the closing
        task.cancel()  # a second signal's cancellation, as a terminal plus `triage up` may send
        with pytest.raises(asyncio.CancelledError):
            await task
    assert ends == ["lifespan ended"]
    assert "lifespan" not in caplog.text and "Traceback" not in caplog.text


async def test_a_stream_still_open_after_the_grace_is_dropped_and_the_lifespan_still_ends():
    ends: list[str] = []
    port = free_port()
    server = own_signals(uvicorn.Server(uvicorn.Config(app_recording(ends), port=port, log_level="critical")))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(timeout=5) as http:
        async with http.stream("GET", f"http://127.0.0.1:{port}/forever") as response:
            assert response.status_code == 200
            await close_server(server, task, grace=0.3)  # uvicorn forces its exit: it skips the lifespan
    assert server.force_exit
    assert ends == ["lifespan ended"]
