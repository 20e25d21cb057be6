"""Run the emulator: in-process for tests, or as ``triage mailsim``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from triage.asgi_server import serving
from triage.mailsim.app import create_app


@dataclass(frozen=True)
class RunningMailSim:
    control_url: str
    api_key: str
    inbox_id: str
    inbox_email: str

    @property
    def base_url(self) -> str:
        return f"{self.control_url}/v1"

    @property
    def ws_url(self) -> str:
        return self.control_url.replace("http://", "ws://", 1) + "/v1/ws"


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
) -> AsyncIterator[RunningMailSim]:
    app = create_app(db_path, api_key, inbox_id, inbox_email, ping_interval)
    async with serving(app, host, port, ws_max_size=64 * 1024 * 1024) as url:
        yield RunningMailSim(url, api_key, inbox_id, inbox_email)


async def serve_mailsim(**options) -> None:
    async with running_mailsim(**options) as sim:
        print(f"myagentmail emulator: REST {sim.base_url}  WebSocket {sim.ws_url}", flush=True)
        print(f"  inbox {sim.inbox_id} <{sim.inbox_email}>  API key {sim.api_key}", flush=True)
        print(f"  control: POST {sim.control_url}/_sim/inbound, GET {sim.control_url}/_sim/sent", flush=True)
        await asyncio.Event().wait()
