"""The dev server's command is built in one place (``dev_server_command``), SQLite pragmas included."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from bench.processes import FAST_STORE, stop_process
from triage.dev.devserver import start_dev_server, wait_until_serving
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings


async def journal_mode(directory: Path, **options: Any) -> str:
    """The journal mode of a dev server's database, once it serves (write-ahead mode is kept in the file)."""
    db, port = directory / "temporal.db", free_port()
    process = start_dev_server(db, port=port, headless=True, **options)
    try:
        await wait_until_serving(f"127.0.0.1:{port}", "default")
        with sqlite3.connect(db) as connection:
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    finally:
        await stop_process(process)
    return str(mode)


async def test_sqlite_pragmas_reach_the_servers_database(tmp_path):
    assert await journal_mode(tmp_path / "fast", sqlite_pragmas=FAST_STORE) == "wal"
    assert await journal_mode(tmp_path / "default") != "wal"  # SQLite's own, unless asked


async def test_the_projects_dev_server_keeps_its_database_in_write_ahead_mode(tmp_path):
    # `triage server` and `triage up` pass these: a burst's task completions failed to persist without.
    pragmas = Settings().temporal_sqlite_pragmas
    assert await journal_mode(tmp_path / "project", sqlite_pragmas=pragmas) == "wal"
