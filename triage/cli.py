"""``triage``: run the stack's parts and act on reviews from a terminal."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from triage.config import get_settings
from triage.models import Category, ReviewAction, TriageStatus

app = typer.Typer(help="AI triage for a support inbox, on Temporal.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep that for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _client():
    from triage.temporal_client import connect

    return await connect(get_settings())


def _run(coro) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass


# ---- the stack's parts ------------------------------------------------------------


@app.command()
def server(
    db_file: Annotated[Path | None, typer.Option(help="SQLite file (default .data/temporal.db).")] = None,
    port: Annotated[int, typer.Option(help="gRPC port.")] = 7233,
    ui_port: Annotated[int | None, typer.Option(help="Web UI port (default 8233).")] = None,
    ui_codec_endpoint: Annotated[str | None, typer.Option(help="Codec server for the Web UI.")] = None,
) -> None:
    """Run the Temporal dev server with a persistent database and our search attributes."""
    from triage.devserver import start_dev_server

    settings = get_settings()
    db = db_file or settings.temporal_db
    process = start_dev_server(
        db,
        port=port,
        ui_port=ui_port or settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
        ui_codec_endpoint=ui_codec_endpoint,
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


@app.command()
def mailsim(
    port: Annotated[int, typer.Option(help="HTTP + WebSocket port.")] = 8725,
    host: str = "127.0.0.1",
    db_file: Annotated[Path, typer.Option(help="SQLite file.")] = Path(".data/mailsim.db"),
    api_key: Annotated[str | None, typer.Option(help="API key (default MYAGENTMAIL_API_KEY).")] = None,
    inbox_id: Annotated[str | None, typer.Option(help="Inbox id (default SUPPORT_INBOX_ID).")] = None,
    inbox_email: str = "support@acme-help.test",
    ping_interval: float = 15.0,
) -> None:
    """Run the local myagentmail emulator (REST + WebSocket + /_sim control API)."""
    from triage.mailsim.runner import serve_mailsim

    settings = get_settings()
    _logging("WARNING")
    db_file.parent.mkdir(parents=True, exist_ok=True)
    _run(
        serve_mailsim(
            host=host,
            port=port,
            db_path=db_file,
            api_key=api_key or settings.mail_api_key.get_secret_value(),
            inbox_id=inbox_id or settings.inbox_id,
            inbox_email=inbox_email,
            ping_interval=ping_interval,
        )
    )


@app.command()
def worker() -> None:
    """Run a worker: the triage workflow and its activities."""
    from worker.main import run_worker

    _logging()
    _run(run_worker(get_settings()))


@app.command()
def watch() -> None:
    """Watch the inbox and start one triage workflow per inbound message."""
    from starter.watcher import run_watcher

    _logging()
    _run(run_watcher(get_settings()))


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Bind address (default TRIAGE_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default TRIAGE_API_PORT, 8000).")] = None,
) -> None:
    """Run the reviewer HTTP API and dashboard."""
    from triage.api.server import run_api

    _logging()
    settings = get_settings()
    _run(run_api(settings, host or settings.api_host, port or settings.api_port))


@app.command()
def up(
    demo: Annotated[bool, typer.Option(help="Inject sample emails once the stack runs.")] = False,
    data_dir: Annotated[Path, typer.Option(help="Where the stack keeps its files.")] = Path(".data"),
) -> None:
    """The whole local stack in one command; Ctrl-C stops it all."""
    from triage.stack import run_stack

    _logging()
    raise typer.Exit(asyncio.run(run_stack(get_settings(), data_dir=data_dir, demo=demo)))


@app.command("codec-server")
def codec_server(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8081,
    host: str = "127.0.0.1",
    ui_origin: Annotated[list[str] | None, typer.Option(help="Web UI origin(s) allowed by CORS.")] = None,
) -> None:
    """Decode encrypted payloads for the Temporal Web UI and CLI (needs TRIAGE_ENCRYPTION_KEY)."""
    from triage.asgi_server import serving
    from triage.codec import EncryptionCodec
    from triage.codec_server import create_codec_app

    settings = get_settings()
    if settings.encryption_key is None:
        err_console.print("TRIAGE_ENCRYPTION_KEY is not set: nothing to decode")
        raise typer.Exit(2)
    origins = ui_origin or [f"http://localhost:{settings.temporal_ui_port}", f"http://127.0.0.1:{settings.temporal_ui_port}"]
    app_ = create_codec_app(
        EncryptionCodec.from_spec(settings.encryption_key.get_secret_value()),
        allowed_origins=origins,
        token=os.environ.get("TRIAGE_CODEC_TOKEN"),
    )

    async def main() -> None:
        async with serving(app_, host, port) as url:
            console.print(f"codec server on {url} (CORS: {', '.join(origins)})")
            await asyncio.Event().wait()

    _run(main())


# ---- reviews -------------------------------------------------------------------


@app.command()
def reviews(
    status: Annotated[TriageStatus | None, typer.Option(help="Default: awaiting_review.")] = None,
    category: Category | None = None,
    all_statuses: Annotated[bool, typer.Option("--all", help="Any status.")] = False,
    limit: int = 50,
    as_json: JsonOption = False,
) -> None:
    """List reviews (pending by default) from Temporal visibility."""
    from starter.review import list_reviews

    async def main() -> None:
        client = await _client()
        wanted = None if all_statuses else (status or TriageStatus.AWAITING_REVIEW)
        page, _ = await list_reviews(client, status=wanted, category=category, limit=limit)
        if as_json:
            print(json.dumps([r.model_dump(mode="json") for r in page]))
            return
        table = Table("workflow id", "status", "category", "confidence", "reviewer", "started")
        for r in page:
            table.add_row(
                r.workflow_id,
                r.status.value if r.status else "",
                r.category.value if r.category else "",
                f"{r.confidence:.2f}" if r.confidence is not None else "",
                r.reviewer or "",
                r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "",
            )
        console.print(table)

    asyncio.run(main())


@app.command()
def stats(
    hours: Annotated[float, typer.Option(help="Window: the last N hours.")] = 24.0,
    as_json: JsonOption = False,
) -> None:
    """Messages triaged, auto-send rate, reviews pending/rejected/expired, from visibility."""
    from starter.stats import collect_stats

    async def main() -> None:
        figures = await collect_stats(await _client(), hours)
        if as_json:
            print(figures.model_dump_json())
            return
        table = Table("figure", "value", title=f"last {hours:g} h")
        table.add_row("messages", str(figures.messages))
        table.add_row("auto-send rate", f"{figures.auto_send_rate:.1%}")
        table.add_row("pending reviews", str(figures.pending_reviews))
        table.add_row("rejected", str(figures.rejected))
        table.add_row("expired", str(figures.expired))
        if figures.median_seconds_to_close_sent is not None:
            table.add_row("median start-to-send after review", f"{figures.median_seconds_to_close_sent:.0f} s")
        for status, n in sorted(figures.by_status.items()):
            table.add_row(f"status {status}", str(n))
        for category, n in sorted(figures.by_category.items()):
            table.add_row(f"category {category}", str(n))
        console.print(table)

    asyncio.run(main())


@app.command()
def show(workflow_id: str, as_json: JsonOption = False) -> None:
    """The whole state of one triage: message, classification, draft, decisions."""
    from starter.review import get_state

    async def main() -> None:
        state = await get_state(await _client(), workflow_id)
        if as_json:
            print(state.model_dump_json())
            return
        c = state.classification
        console.print(f"[bold]{state.workflow_id}[/] — {state.status.value}, revision {state.revision}")
        console.print(f"From: {state.message.from_address}\nSubject: {state.message.subject}")
        if c:
            console.print(f"Category: {c.category.value} ({c.confidence:.2f}) {c.reason}")
            if c.guard_flags:
                console.print("Guard flags: " + ", ".join(f.value for f in c.guard_flags))
        if state.policy_decision and state.policy_decision.reasons:
            console.print("Review because: " + "; ".join(state.policy_decision.reasons))
        console.rule("message")
        console.print(state.message.plain_body[:4000], markup=False)
        console.rule(f"draft (revision {state.revision})")
        console.print(state.draft_body or "", markup=False)
        for d in state.decisions:
            console.print(f"- {d.decided_at:%Y-%m-%d %H:%M} {d.decision.reviewer}: {d.decision.action.value}")

    asyncio.run(main())


def _decide(workflow_id: str, action: ReviewAction, reviewer: str | None, revision: int | None, signal: bool, **fields) -> None:
    from starter.review import ReviewRejected, decide_current

    async def main() -> int:
        client = await _client()
        who = reviewer or os.environ.get("TRIAGE_REVIEWER") or os.environ.get("USER") or "cli"
        try:
            decision, outcome = await decide_current(
                client, workflow_id, action, who, revision=revision, wait=not signal, **fields
            )
        except ReviewRejected as err:
            err_console.print(f"[red]refused[/] ({err.kind}): {err}")
            return 1
        if outcome is None:
            console.print(f"{action.value} signalled for revision {decision.revision} (no outcome on the signal path)")
        else:
            console.print(
                f"{action.value} by {who} on revision {decision.revision}: {outcome.status.value}"
                + (f", sent {outcome.sent_message_id}" if outcome.sent_message_id else "")
            )
        return 0

    raise typer.Exit(asyncio.run(main()))


Reviewer = Annotated[str | None, typer.Option(help="Who decides (default $TRIAGE_REVIEWER or $USER).")]
Revision = Annotated[int | None, typer.Option(help="Draft revision you reviewed (default: the current one).")]
Signal = Annotated[bool, typer.Option("--signal", help="Send as a Signal (works while workers are down; no outcome).")]


@app.command()
def approve(
    workflow_id: str,
    reviewer: Reviewer = None,
    revision: Revision = None,
    body_file: Annotated[Path | None, typer.Option(help="Send this text instead of the draft.")] = None,
    signal: Signal = False,
) -> None:
    """Approve the draft (optionally edited) and send it."""
    body = body_file.read_text() if body_file else None
    _decide(workflow_id, ReviewAction.APPROVE, reviewer, revision, signal, body=body)


@app.command()
def reject(
    workflow_id: str,
    reason: Annotated[str, typer.Option(help="Why nothing is sent.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    signal: Signal = False,
) -> None:
    """Reject: nothing is sent and the draft is discarded."""
    _decide(workflow_id, ReviewAction.REJECT, reviewer, revision, signal, reason=reason)


@app.command()
def redraft(
    workflow_id: str,
    instructions: Annotated[str, typer.Option(help="What the new draft should do differently.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    signal: Signal = False,
) -> None:
    """Ask for a new draft; the review stays open on the new revision."""
    _decide(workflow_id, ReviewAction.REDRAFT, reviewer, revision, signal, instructions=instructions)


@app.command()
def eval(
    file: Path,
    provider: Annotated[str, typer.Option(help="offline or openai.")] = "offline",
    as_json: JsonOption = False,
) -> None:
    """Measure classification and the send policy on a labelled JSONL file."""
    from triage.evaluation import run_eval_command

    raise typer.Exit(run_eval_command(file, provider, as_json))


if __name__ == "__main__":
    app()
