"""The stack's parts, each in the foreground: Temporal, the worker, the watcher, the API, all of them."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from starter.cli.errors import EXIT_USAGE, CliError
from starter.cli.foreground import run_until_interrupted, setup_logging
from starter.cli.output import console, err_console
from triage.runtime.config import get_settings


def server(
    db_file: Annotated[Path | None, typer.Option(help="SQLite file (default .data/temporal.db).")] = None,
    port: Annotated[int, typer.Option(help="gRPC port.")] = 7233,
    ui_port: Annotated[int | None, typer.Option(help="Web UI port (default 8233).")] = None,
    ui_codec_endpoint: Annotated[str | None, typer.Option(help="Codec server for the Web UI.")] = None,
) -> None:
    """Run the Temporal dev server with a persistent database and our search attributes."""
    from triage.dev.devserver import start_dev_server

    settings = get_settings()
    db = db_file or settings.temporal_db
    process = start_dev_server(
        db,
        port=port,
        ui_port=ui_port or settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
        ui_codec_endpoint=ui_codec_endpoint,
        sqlite_pragmas=settings.temporal_sqlite_pragmas,
    )
    console.print(
        f"Temporal dev server: gRPC 127.0.0.1:{port}, Web UI "
        f"http://127.0.0.1:{ui_port or settings.temporal_ui_port}, db {db}"
    )
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=20)


def worker() -> None:
    """Run the workflow worker: the workflows and their mail, conversation and autonomy activities."""
    from worker.main import run_worker

    settings = get_settings()
    setup_logging(secrets=settings.secret_values())
    run_until_interrupted(run_worker(settings))


def judge() -> None:
    """Run a judge worker: classify, draft and retrain (CPU-bound) on the judge task queue; one per core to spare."""
    from worker.judge import run_judge

    settings = get_settings()
    setup_logging(secrets=settings.secret_values())
    run_until_interrupted(run_judge(settings))


def watch() -> None:
    """Watch the inbox and start one triage workflow per inbound message."""
    from starter.watcher import run_watcher

    settings = get_settings()
    setup_logging(secrets=settings.secret_values())
    run_until_interrupted(run_watcher(settings))


def api(
    host: Annotated[str | None, typer.Option(help="Bind address (default TRIAGE_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TRIAGE_API_PORT, 8000).")] = None,
) -> None:
    """Run the reviewer HTTP API and dashboard."""
    from starter.api.server import run_api

    settings = get_settings()
    setup_logging(secrets=settings.secret_values())
    run_until_interrupted(run_api(settings, host or settings.api_host, port or settings.api_port))


def up(
    demo: Annotated[
        bool, typer.Option(help="Send the sample emails the inbox has not received yet (once, never again).")
    ] = False,
    reset: Annotated[
        bool, typer.Option(help="Start from empty: delete the workflows and the mail first.")
    ] = False,
    data_dir: Annotated[Path, typer.Option(help="Where the stack keeps its files.")] = Path(".data"),
    mail_port: Annotated[
        int | None, typer.Option(help="The mail emulator's port (default 8725, or MYAGENTMAIL_BASE_URL's).")
    ] = None,
    mail: Annotated[
        str | None,
        typer.Option(
            help="emulator (the embedded myagentmail emulator) or imap (the TRIAGE_IMAP_* mailbox); "
            "default: TRIAGE_MAIL_PROVIDER's."
        ),
    ] = None,
    llm: Annotated[
        str | None,
        typer.Option(
            help="local: classify and draft with the local model server (make local-llm) on port 8780."
        ),
    ] = None,
) -> None:
    """The whole local stack in one command; Ctrl-C stops it all. Refuses to start when a port is taken."""
    from starter.stack import StackError, run_stack

    if llm not in (None, "local"):
        raise CliError(
            f"--llm {llm}: the only choice is 'local' (other servers: set OPENAI_BASE_URL)", EXIT_USAGE
        )
    if llm:
        from triage.judging.local_server import LocalModelUnavailable, check_installed

        try:
            check_installed()
        except LocalModelUnavailable as err:
            raise CliError(str(err)) from None
    settings = get_settings()
    setup_logging(secrets=settings.secret_values())
    try:
        code = asyncio.run(
            run_stack(
                settings,
                data_dir=data_dir,
                demo=demo,
                reset=reset,
                mail_port=mail_port,
                mail=mail,
                local_llm=bool(llm),
            )
        )
    except StackError as err:
        raise CliError(str(err)) from err
    # Everything is stopped and reaped, and nothing is left to write: leave now. The
    # interpreter's own finalization (the Temporal runtime's threads among it) took
    # 2-3 s more on a busy machine, which Ctrl-C should not cost.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def codec_server(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8081,
    host: str = "127.0.0.1",
    ui_origin: Annotated[list[str] | None, typer.Option(help="Web UI origin(s) allowed by CORS.")] = None,
) -> None:
    """Decode encrypted payloads for the Temporal Web UI and CLI (needs TRIAGE_ENCRYPTION_KEY)."""
    from triage.runtime.asgi_server import serving
    from triage.runtime.codec import EncryptionCodec
    from triage.runtime.codec_server import create_codec_app

    settings = get_settings()
    if settings.encryption_key is None:
        err_console.print("TRIAGE_ENCRYPTION_KEY is not set: nothing to decode")
        raise typer.Exit(2)
    origins = ui_origin or [
        f"http://localhost:{settings.temporal_ui_port}",
        f"http://127.0.0.1:{settings.temporal_ui_port}",
    ]
    app_ = create_codec_app(
        EncryptionCodec.from_spec(settings.encryption_key.get_secret_value()),
        allowed_origins=origins,
        token=os.environ.get("TRIAGE_CODEC_TOKEN"),
        bind_host=host,  # no token: loopback only (refuses to start otherwise)
    )

    async def main() -> None:
        async with serving(app_, host, port) as url:
            console.print(f"codec server on {url} (CORS: {', '.join(origins)})")
            await asyncio.Event().wait()

    run_until_interrupted(main())
