"""The child processes of the benchmarks and the chaos run: started with a log, stopped, killed, measured.

Every program started here stops gracefully on SIGINT; SIGKILL is for a
process that does not, or for a fault on purpose (the chaos run's kill -9).
The Temporal dev server and the mail emulator are such processes, each with
the address it answers on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from triage.dev.devserver import dev_server_command, wait_until_serving
from triage.runtime import settings_docs
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings
from triage.runtime.net import wait_http

REPO = Path(__file__).resolve().parents[1]


# ---- starting, stopping, killing ------------------------------------------------------


def spawn(command: list[str], *, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A child process run from the repository root, its output appended to ``log`` (not in the table)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def spawn_python(module_args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    return spawn([sys.executable, "-m", *module_args], log=log, env=env)


async def stop_process(process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """SIGINT (graceful for every program here), SIGKILL after ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.to_thread(process.wait, timeout)
    except subprocess.TimeoutExpired:
        await kill_process(process)


async def kill_process(process: subprocess.Popen) -> None:
    """SIGKILL, as a crash would end it: no clean-up, no goodbye to the server."""
    process.send_signal(signal.SIGKILL)
    await asyncio.to_thread(process.wait)


# ---- measuring ----------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident set size of one process (not its children)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the Temporal dev server ----------------------------------------------------------


async def connect_client(address: str) -> Client:
    return await Client.connect(address, data_converter=pydantic_data_converter)


# SQLite in write-ahead mode, synced at checkpoints rather than at every commit: a server
# stopped or killed loses nothing (only a crash of the machine could). On the shared 2-core
# machine it served 400 waiting workflows on 45% less CPU than the default (a rollback
# journal synced at every commit), and 2.7x faster (docs/performance.md, "Memory").
FAST_STORE = ("journal_mode=wal", "synchronous=normal")


class DevServer:
    """``triage server``'s dev server (SQLite file) on a free port, restartable on the same file;
    ``pragmas`` for its SQLite (``FAST_STORE``), none for the project's own settings."""

    def __init__(self, directory: Path, pragmas: Sequence[str] = ()) -> None:
        self.db = directory / "temporal.db"
        self.log = directory / "temporal.log"
        self.port = free_port()
        self.pragmas = tuple(pragmas)
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def serve(self) -> None:
        """Start it on its database file and wait until it answers: a restart finds every workflow again."""
        command = dev_server_command(self.db, port=self.port, headless=True, sqlite_pragmas=self.pragmas)
        self.process = spawn(command, log=self.log)
        await wait_until_serving(self.address, "default")

    async def start(self) -> Client:
        await self.serve()
        return await connect_client(self.address)

    async def kill(self) -> None:
        assert self.process is not None
        await kill_process(self.process)

    async def stop(self, timeout: float = 30.0) -> None:
        await stop_process(self.process, timeout)


@asynccontextmanager
async def dev_server(directory: Path, pragmas: Sequence[str] = ()) -> AsyncIterator[tuple[DevServer, Client]]:
    server = DevServer(directory, pragmas)
    try:
        client = await server.start()
        yield server, client
    finally:
        await server.stop()


# ---- the judge worker -----------------------------------------------------------------


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment that configures a child process as ``settings`` do (the fields set explicitly)."""
    env: dict[str, str] = {}
    dumped = settings.model_dump(mode="json")
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        alias = settings_docs.variable(Settings.model_fields[name])
        if isinstance(value, SecretStr):
            env[alias] = value.get_secret_value()
        elif isinstance(dumped[name], list | dict):
            env[alias] = json.dumps(dumped[name])
        else:
            env[alias] = str(dumped[name])
    return env


@asynccontextmanager
async def judge_process(settings: Settings, address: str, directory: Path) -> AsyncIterator[subprocess.Popen]:
    """``triage judge`` for ``settings`` (its queue, its provider) against the server at ``address``, as under ``triage up``."""
    env = {**settings_environment(settings), "TEMPORAL_ADDRESS": address, "TRIAGE_LOG_LEVEL": "WARNING"}
    process = spawn_python(
        ["starter.cli", "judge"], env=env, log=directory / f"judge-{settings.judge_queue}.log"
    )
    try:
        yield process
    finally:
        await stop_process(process)


# ---- the mail emulator ----------------------------------------------------------------


@dataclass(frozen=True)
class MailSim:
    """Where an emulator process answers: the fields of ``RunningMailSim`` the benchmarks use."""

    control_url: str
    base_url: str
    ws_url: str
    api_key: str = "sim-dev-key"
    inbox_id: str = "support"


@asynccontextmanager
async def mailsim_process(directory: Path) -> AsyncIterator[MailSim]:
    """The emulator as a process of its own, as under ``triage up``: it stands in for a
    remote service, so it must not share the measured process's CPU (GIL)."""
    port = free_port()
    command = ["starter.cli", "mailsim", "--port", str(port), "--db-file", str(directory / f"mail-{port}.db")]
    process = spawn_python(
        [*command, "--api-key", MailSim.api_key, "--inbox-id", MailSim.inbox_id],
        env={},
        log=directory / f"mailsim-{port}.log",
    )
    try:
        control = f"http://127.0.0.1:{port}"
        await wait_http(f"{control}/_sim/health")
        yield MailSim(control, f"{control}/v1", f"ws://127.0.0.1:{port}/v1/ws")
    finally:
        await stop_process(process)


# ---- the fake LLM ---------------------------------------------------------------------


@dataclass(frozen=True)
class FakeLlm:
    """Where a fake OpenAI-compatible server process answers (``triage.dev.fake_openai``)."""

    root: str

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    async def request_count(self) -> int:
        async with httpx.AsyncClient(timeout=10) as http:
            return int((await http.get(f"{self.root}/_fake/requests")).json()["count"])


@asynccontextmanager
async def fake_openai_process(directory: Path, delay: float) -> AsyncIterator[FakeLlm]:
    """The fake LLM as a process of its own, answering every call after ``delay`` seconds (any
    API key): it stands in for a remote service, so, like the emulator, it must not share the
    measured process's CPU (its 8 calls a second in bench.slow_llm cost the watcher and the
    workflow worker's event loop as much as a tenth of their CPU per message)."""
    port = free_port()
    process = spawn_python(
        ["triage.dev.fake_openai", "--port", str(port), "--delay", str(delay)],
        env={},
        log=directory / f"fake-openai-{port}.log",
    )
    try:
        llm = FakeLlm(f"http://127.0.0.1:{port}")
        await wait_http(f"{llm.root}/_fake/requests")
        yield llm
    finally:
        await stop_process(process)
