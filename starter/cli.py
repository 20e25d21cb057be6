"""``triage``: run the stack's parts and act on reviews from a terminal.

Every failure ends in one line on stderr and an exit code a script can test:
0 success, 1 refused or not found, 2 usage, 3 Temporal or the reviewer API
unreachable; ``--debug`` (anywhere on the line, or ``TRIAGE_DEBUG=1``) adds
the traceback.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from typer._click import exceptions as click  # the click Typer bundles: its errors

from triage.config import get_settings
from triage.models import Category, ReviewAction, TriageStatus

if TYPE_CHECKING:
    from temporalio.client import Client

    from starter.review import ReviewSummary
    from triage.models import ReviewOutcome, TriageState

T = TypeVar("T")

EXIT_OK = 0
EXIT_REFUSED = 1  # refused, not found, or failed
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # Temporal, a worker or the reviewer API did not answer

CONNECT_TIMEOUT = 10.0
QUERY_TIMEOUT = timedelta(seconds=10)


class CliError(Exception):
    """A failure the operator can act on: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


class _Triage(typer.Typer):
    """The app, run so that every error is one line and a documented exit code."""

    debug = False

    def __call__(self, args: list[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        _Triage.debug = _take_flag(argv, "--debug") or os.environ.get("TRIAGE_DEBUG", "") not in ("", "0")
        command = typer.main.get_command(self)
        try:
            result = command.main(args=argv, prog_name=prog_name or "triage", standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except BaseException as err:
            code = _report(err, debug=_Triage.debug)
        # The Temporal client and its runtime are gone by now (see _temporal);
        # collect what an exception's traceback kept alive before Python finalizes.
        gc.collect()
        sys.exit(code)


def _take_flag(argv: list[str], flag: str) -> bool:
    """Remove ``flag`` from the options (not after ``--``): accepted before or after the command."""
    end = argv.index("--") if "--" in argv else len(argv)
    found = flag in argv[:end]
    argv[:end] = [a for a in argv[:end] if a != flag]
    return found


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _report(err: BaseException, *, debug: bool) -> int:
    if isinstance(err, SystemExit):  # sys.exit() inside a command
        return err.code if isinstance(err.code, int) else (EXIT_OK if err.code is None else EXIT_REFUSED)
    if isinstance(err, click.NoArgsIsHelpError):  # the help is printed already
        return EXIT_USAGE
    if isinstance(err, click.UsageError):
        where = err.ctx.command_path if err.ctx else "triage"
        err_console.print(
            f"{where}: {_one_line(err.format_message())} (see '{where} --help')",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_USAGE
    code, message = explain(err)
    if debug:
        traceback.print_exception(err)
    err_console.print(f"triage: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def explain(err: BaseException) -> tuple[int, str]:
    """An exit code and a one-line message for anything a command can raise."""
    from pydantic import ValidationError
    from temporalio.client import (
        WorkflowQueryFailedError,
        WorkflowQueryRejectedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
    )
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import ReviewRejected

    try:
        address = get_settings().temporal_address
    except ValidationError:
        address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    match err:
        case CliError():
            return err.code, _one_line(str(err))
        case ValidationError():  # the settings (environment, TRIAGE_CONFIG) or a value given
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:3])
            return EXIT_USAGE, f"invalid {err.title}: {_one_line(problems)}"
        case typer.Abort() | KeyboardInterrupt():
            return 130, "interrupted"
        case click.ClickException():
            return err.exit_code, _one_line(err.format_message())
        case ReviewRejected():
            return EXIT_REFUSED, f"refused ({err.kind}): {_one_line(str(err))}"
        case RPCError() if err.status == RPCStatusCode.NOT_FOUND:
            return EXIT_REFUSED, f"not found: {_one_line(err.message)}"
        case RPCError() if err.status == RPCStatusCode.UNAVAILABLE:
            return EXIT_UNREACHABLE, f"Temporal is unreachable at {address}: {_one_line(err.message)}"
        case RPCError() if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return EXIT_UNREACHABLE, "Temporal or the worker did not answer in time (is a worker running? `triage up` starts one)"
        case RPCError():
            return EXIT_REFUSED, f"Temporal refused ({err.status.name}): {_one_line(err.message)}"
        case WorkflowUpdateRPCTimeoutOrCancelledError():
            return EXIT_UNREACHABLE, "no worker applied the decision in time; it may still be applied (check with `triage show`)"
        case WorkflowQueryFailedError() | WorkflowQueryRejectedError():
            return EXIT_REFUSED, f"the state query failed: {_one_line(str(err))}"
        case TimeoutError():
            return EXIT_UNREACHABLE, f"Temporal at {address} did not answer in {CONNECT_TIMEOUT:.0f} s"
        case RuntimeError() if str(err).startswith("Failed client connect"):
            return EXIT_UNREACHABLE, f"Temporal is unreachable at {address} (is `triage up` running?)"
        case _:
            return EXIT_REFUSED, f"{type(err).__name__}: {_one_line(str(err))} (--debug shows the traceback)"


app = _Triage(help="AI triage for a support inbox, on Temporal.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # one line, whatever its length

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ReviewId = Annotated[str, typer.Argument(metavar="ID", help="Workflow id (triage-msg_…) or message id (msg_…).")]


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (also after the command).")
    ] = False,
) -> None:
    """Exit codes: 0 success, 1 refused or not found, 2 usage, 3 Temporal or the API unreachable."""


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep that for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _temporal(work: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``work`` with a Temporal client on a runtime of its own, both dropped on return.

    The SDK's default runtime is a module global: its Rust threads would
    outlive the command and could take the GIL while the interpreter
    finalizes (``Fatal Python error: PyGILState_Release``, exit 134).
    Dropping the client and the runtime here joins those threads first.
    """
    from temporalio.runtime import Runtime, TelemetryConfig

    from triage.temporal_client import connect

    runtime: Runtime | None = Runtime(telemetry=TelemetryConfig())

    async def main() -> T:
        client = await asyncio.wait_for(connect(get_settings(), runtime=runtime), CONNECT_TIMEOUT)
        try:
            return await work(client)
        finally:
            del client

    try:
        return asyncio.run(main())
    finally:
        runtime = None
        gc.collect()


def _run(coro) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass


def _workflow_id(ident: str) -> str:
    from starter.review import workflow_id_of

    if not ident.strip():
        raise CliError("the review id is empty", EXIT_USAGE)
    return workflow_id_of(ident)


async def _state(client: Client, workflow_id: str) -> TriageState:
    """The ``state`` query, with "not found" naming the id and a bound on the wait for a worker."""
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import get_state

    try:
        return await get_state(client, workflow_id, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no triage workflow {workflow_id} ({_one_line(err.message)})") from err
        if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):  # CANCELLED: rpc_timeout
            raise CliError(
                f"no worker answered for {workflow_id} in {QUERY_TIMEOUT.seconds} s "
                "(is a worker running? `triage up` starts one)",
                EXIT_UNREACHABLE,
            ) from err
        raise


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
    from starter.api.server import run_api

    _logging()
    settings = get_settings()
    _run(run_api(settings, host or settings.api_host, port or settings.api_port))


@app.command()
def up(
    demo: Annotated[
        bool, typer.Option(help="Send the sample emails the inbox has not received yet (once, never again).")
    ] = False,
    reset: Annotated[bool, typer.Option(help="Start from empty: delete the workflows and the mail first.")] = False,
    data_dir: Annotated[Path, typer.Option(help="Where the stack keeps its files.")] = Path(".data"),
    mail_port: Annotated[
        int | None, typer.Option(help="The mail emulator's port (default 8725, or MYAGENTMAIL_BASE_URL's).")
    ] = None,
) -> None:
    """The whole local stack in one command; Ctrl-C stops it all. Refuses to start when a port is taken."""
    from starter.stack import StackError, run_stack

    _logging()
    try:
        code = asyncio.run(
            run_stack(get_settings(), data_dir=data_dir, demo=demo, reset=reset, mail_port=mail_port)
        )
    except StackError as err:
        raise CliError(str(err)) from err
    raise typer.Exit(code)


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
        bind_host=host,  # no token: loopback only (refuses to start otherwise)
    )

    async def main() -> None:
        async with serving(app_, host, port) as url:
            console.print(f"codec server on {url} (CORS: {', '.join(origins)})")
            await asyncio.Event().wait()

    _run(main())


# ---- reviews -------------------------------------------------------------------

# The reviews table: (key, header, keep priority: the lowest goes first when the terminal is narrow).
_COLUMNS: list[tuple[str, str, int]] = [
    ("id", "id", 100),
    ("status", "status", 55),
    ("category", "category", 80),
    ("age", "age", 40),
    ("from", "from", 50),
    ("subject", "subject", 90),
    ("why", "why it waits", 60),
    ("confidence", "conf.", 10),
    ("reviewer", "reviewer", 20),
]
_FLEXIBLE = {"subject": 14, "from": 12, "why": 14}  # shortened with an ellipsis, down to this width
_GAP = 2  # a column's right padding + the next one's left padding


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def review_rows(
    page: list[ReviewSummary], states: dict[str, TriageState | None], now: datetime
) -> list[dict[str, str]]:
    rows = []
    for r in page:
        state = states.get(r.workflow_id)
        reasons = state.policy_decision.reasons if state and state.policy_decision else []
        since = (state.review_started_at if state else None) or r.started_at
        rows.append(
            {
                "id": r.workflow_id,
                "status": r.status.value if r.status else "",
                "category": r.category.value if r.category else "",
                "age": _age(now - since) if since else "",
                "from": (parseaddr(state.message.from_address)[1] or state.message.from_address) if state else "",
                "subject": (state.message.subject or "(no subject)") if state else "",
                "why": reasons[0] if reasons else "",
                "confidence": f"{r.confidence:.2f}" if r.confidence is not None else "",
                "reviewer": r.reviewer or "",
            }
        )
    return rows


def _layout(rows: list[dict[str, str]], keys: list[str], width: int) -> dict[str, int] | None:
    """Column widths that fit ``width`` with every id whole, or None if these columns cannot fit."""
    natural = {k: max([len(_header(k)), *(len(row[k]) for row in rows)]) for k in keys}
    fixed = sum(w for k, w in natural.items() if k not in _FLEXIBLE)
    room = width - fixed - _GAP * (len(keys) - 1)
    flexible = sorted((k for k in keys if k in _FLEXIBLE), key=lambda k: natural[k])
    if room < sum(min(natural[k], _FLEXIBLE[k]) for k in flexible):
        return None
    widths = dict(natural)
    for i, key in enumerate(flexible):  # the narrowest first; what it leaves goes to the wider ones
        share = room // (len(flexible) - i)
        widths[key] = min(natural[key], max(share, _FLEXIBLE[key]))
        room -= widths[key]
    return widths


def _header(key: str) -> str:
    return next(header for k, header, _ in _COLUMNS if k == key)


def reviews_table(rows: list[dict[str, str]], width: int, *, with_status: bool) -> Table:
    """The table for ``triage reviews``: ids whole, the least useful columns dropped to fit ``width``."""
    wanted = [k for k, _, _ in _COLUMNS if k != "status" or with_status]
    wanted = [k for k in wanted if k != "reviewer" or any(row["reviewer"] for row in rows)]
    order = {k: i for i, (k, _, _) in enumerate(_COLUMNS)}
    keys, widths = ["id"], _layout(rows, ["id"], width)
    # The most useful columns first, each only if the table still fits.
    for key in sorted(wanted, key=lambda k: -next(p for c, _, p in _COLUMNS if c == k)):
        candidate = sorted({*keys, key}, key=order.__getitem__)
        layout = _layout(rows, candidate, width)
        if layout is not None:
            keys, widths = candidate, layout
    table = Table(box=None, padding=(0, 1), pad_edge=False, header_style="bold", expand=False)
    for key in keys:  # an id folds (only in a terminal narrower than it); the rest end in "…"
        whole = key == "id"
        table.add_column(
            _header(key), width=(widths or {}).get(key), no_wrap=not whole, overflow="fold" if whole else "ellipsis"
        )
    for row in rows:
        table.add_row(*(row[k] for k in keys))
    return table


@app.command()
def reviews(
    status: Annotated[TriageStatus | None, typer.Option(help="Default: awaiting_review.")] = None,
    category: Category | None = None,
    all_statuses: Annotated[bool, typer.Option("--all", help="Any status.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """List reviews (pending by default) from Temporal visibility."""
    from starter.review import get_states, list_reviews

    wanted = None if all_statuses else (status or TriageStatus.AWAITING_REVIEW)

    async def main(client: Client) -> tuple[list[ReviewSummary], dict[str, TriageState | None]]:
        page, _ = await list_reviews(client, status=wanted, category=category, limit=limit)
        if as_json:
            return page, {}
        return page, await get_states(client, [r.workflow_id for r in page])

    page, states = _temporal(main)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in page]))
        return
    if not page:
        console.print(f"no reviews ({wanted.value if wanted else 'any status'})", highlight=False)
        return
    rows = review_rows(page, states, datetime.now(UTC))
    console.print(reviews_table(rows, console.width, with_status=wanted is not TriageStatus.AWAITING_REVIEW))
    missing = sum(1 for r in page if states.get(r.workflow_id) is None)
    if missing:
        err_console.print(
            f"note: {missing} of {len(page)} did not answer the state query (no subject, sender or reason): "
            "is a worker running?",
            highlight=False,
        )


@app.command()
def stats(
    hours: Annotated[float, typer.Option(help="Window: the last N hours.")] = 24.0,
    as_json: JsonOption = False,
) -> None:
    """Messages triaged, auto-send rate, reviews pending/rejected/expired, from visibility."""
    from starter.stats import collect_stats

    async def main(client: Client):
        return await collect_stats(client, hours)

    figures = _temporal(main)
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


@app.command()
def show(review_id: ReviewId, as_json: JsonOption = False) -> None:
    """The whole state of one triage: message, classification, draft, decisions."""
    workflow_id = _workflow_id(review_id)

    async def main(client: Client) -> TriageState:
        return await _state(client, workflow_id)

    state = _temporal(main)
    if as_json:
        print(state.model_dump_json())
        return
    c = state.classification
    console.print(f"[bold]{state.workflow_id}[/] — {state.status.value}, revision {state.revision}", soft_wrap=True)
    console.print(f"From: {state.message.from_address}\nSubject: {state.message.subject}", markup=False)
    if c:
        console.print(f"Category: {c.category.value} ({c.confidence:.2f}) {c.reason}", markup=False)
        if c.guard_flags:
            console.print("Guard flags: " + ", ".join(f.value for f in c.guard_flags))
    answer = state.policy_decision.answer if state.policy_decision else None
    if answer:
        console.print(f'Closest KB question: "{answer.question}" ({answer.article_id}, match {answer.score:.2f})', markup=False)
    if state.policy_decision and state.policy_decision.reasons:
        console.print("Review because: " + "; ".join(state.policy_decision.reasons), markup=False)
    if state.superseded_by:
        console.print(f"Closed by a newer message of the conversation: {state.superseded_by}", markup=False)
    if state.message.thread_id:
        console.print(f"Thread: {state.message.thread_id}", markup=False)
    for entry in state.thread:
        console.rule("our reply" if entry.from_us else f"earlier, from {entry.sender}")
        console.print(entry.text[:2000], markup=False)
    console.rule("message")
    console.print(state.message.plain_body[:4000], markup=False)
    console.rule(f"draft (revision {state.revision})")
    console.print(state.draft_body or "", markup=False)
    for d in state.decisions:
        console.print(
            f"- {d.decided_at:%Y-%m-%d %H:%M} {d.decision.reviewer}: {d.decision.action.value}", markup=False
        )


def _decide(
    review_id: str,
    action: ReviewAction,
    reviewer: str | None,
    revision: int | None,
    signal: bool,
    api: str | None,
    token_file: Path | None,
    **fields: str | None,
) -> None:
    workflow_id = _workflow_id(review_id)
    if api:
        if reviewer:
            raise CliError("--reviewer does not go with --api: the API records the token's reviewer", EXIT_USAGE)
        if signal:
            raise CliError("--signal does not go with --api: the API always waits for the outcome", EXIT_USAGE)
        who, decided_on, outcome = _decide_over_api(
            api.rstrip("/"), _api_token(token_file), workflow_id, action, revision, fields
        )
    else:
        who = reviewer or os.environ.get("TRIAGE_REVIEWER") or os.environ.get("USER") or "cli"
        decided_on, outcome = _decide_over_temporal(workflow_id, action, who, revision, signal, fields)
    if outcome is None:
        console.print(
            f"{action.value} signalled for revision {decided_on} (no outcome on the signal path)", highlight=False
        )
        return
    console.print(
        f"{action.value} by {who} on revision {decided_on}: {outcome.status.value}"
        + (f", sent {outcome.sent_message_id}" if outcome.sent_message_id else ""),
        highlight=False,
    )


def _decide_over_temporal(
    workflow_id: str, action: ReviewAction, who: str, revision: int | None, signal: bool, fields: dict
) -> tuple[int, ReviewOutcome | None]:
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import ReviewRejected, submit_decision
    from triage.models import ReviewDecision

    async def main(client: Client) -> tuple[int, ReviewOutcome | None]:
        current = revision if revision is not None else (await _state(client, workflow_id)).revision
        decision = ReviewDecision(action=action, revision=current, reviewer=who, **fields)
        try:
            return current, await submit_decision(client, workflow_id, decision, wait=not signal)
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            if "already completed" in err.message:
                raise ReviewRejected("ReviewClosed", "the review is already decided") from err
            raise CliError(f"no triage workflow {workflow_id} ({_one_line(err.message)})") from err

    return _temporal(main)


def _api_token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError(f"cannot read the token file {token_file}: {err}", EXIT_USAGE) from err
        if not token:
            raise CliError(f"the token file {token_file} is empty", EXIT_USAGE)
        return token
    token = os.environ.get("TRIAGE_API_TOKEN", "").strip()
    if not token:
        raise CliError("--api needs a reviewer token: set TRIAGE_API_TOKEN or pass --token-file FILE", EXIT_USAGE)
    return token


def _decide_over_api(
    api: str, token: str, workflow_id: str, action: ReviewAction, revision: int | None, fields: dict
) -> tuple[str, int, ReviewOutcome]:
    """The decision through the reviewer API: it, not this command, says who decides."""
    import httpx

    from triage.models import ReviewOutcome, TriageState

    review_url = f"/api/reviews/{workflow_id}"
    try:
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=75) as http:
            if revision is None:  # decide on what we read, as the Temporal path does
                revision = TriageState.model_validate(_api_call(http, "GET", review_url)).revision
            payload = {"revision": revision, **{k: v for k, v in fields.items() if v is not None}}
            path = f"{review_url}/{action.value}"
            outcome = ReviewOutcome.model_validate(_api_call(http, "POST", path, payload))
            try:
                decisions = TriageState.model_validate(_api_call(http, "GET", review_url)).decisions
                who = decisions[-1].decision.reviewer if decisions else "the token's reviewer"
            except CliError:
                who = "the token's reviewer"
    except httpx.TransportError as err:
        raise CliError(f"the reviewer API at {api} is unreachable ({_one_line(str(err)) or type(err).__name__})", EXIT_UNREACHABLE) from err
    return who, revision, outcome


def _api_call(http: Any, method: str, path: str, payload: dict | None = None) -> Any:
    response = http.request(method, path, json=payload)
    if response.is_success:
        return response.json()
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    detail, kind = body.get("detail", ""), body.get("kind")
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(str(item.get("msg", item)) for item in detail)
    status = response.status_code
    code = {422: EXIT_USAGE, 502: EXIT_REFUSED}.get(status, EXIT_UNREACHABLE if status >= 500 else EXIT_REFUSED)
    what = {401: "the API refused the token", 404: "not found", 409: "refused"}.get(status, "the API answered")
    raise CliError(f"{what} ({status}{' ' + kind if kind else ''}): {_one_line(detail)}", code)


Reviewer = Annotated[
    str | None, typer.Option(help="Who decides (default $TRIAGE_REVIEWER or $USER); not with --api.")
]
Revision = Annotated[
    int | None, typer.Option(min=1, help="Draft revision you reviewed (default: the current one).")
]
Signal = Annotated[bool, typer.Option("--signal", help="Send as a Signal (works while workers are down; no outcome).")]
Api = Annotated[
    str | None,
    typer.Option(
        "--api",
        envvar="TRIAGE_API_URL",
        help="Decide through the reviewer API at this URL (http://localhost:8000): the reviewer recorded "
        "is the one the token belongs to.",
    ),
]
TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file", exists=True, dir_okay=False, help="File holding the reviewer token for --api (default $TRIAGE_API_TOKEN)."
    ),
]


@app.command()
def approve(
    review_id: ReviewId,
    reviewer: Reviewer = None,
    revision: Revision = None,
    body_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Send this text instead of the draft.")
    ] = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Approve the draft (optionally edited) and send it."""
    body = None
    if body_file is not None:
        try:
            body = body_file.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError(f"cannot read {body_file}: {err}", EXIT_USAGE) from err
    _decide(review_id, ReviewAction.APPROVE, reviewer, revision, signal, api, token_file, body=body)


@app.command()
def reject(
    review_id: ReviewId,
    reason: Annotated[str, typer.Option(help="Why nothing is sent.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Reject: nothing is sent and the draft is discarded."""
    _decide(review_id, ReviewAction.REJECT, reviewer, revision, signal, api, token_file, reason=reason)


@app.command()
def redraft(
    review_id: ReviewId,
    instructions: Annotated[str, typer.Option(help="What the new draft should do differently.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Ask for a new draft; the review stays open on the new revision."""
    _decide(review_id, ReviewAction.REDRAFT, reviewer, revision, signal, api, token_file, instructions=instructions)


@app.command()
def send(
    sender: Annotated[str, typer.Option("--from", help="The sender, e.g. 'Ann <ann@example.org>'.")],
    subject: Annotated[str, typer.Option(help="The subject.")],
    body: Annotated[str | None, typer.Option(help="The plain-text body.")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", exists=True, dir_okay=False, help="Read the body from a file.")
    ] = None,
    thread: Annotated[str | None, typer.Option(help="Continue this thread (a follow-up).")] = None,
) -> None:
    """Put a message into the emulator's inbox, as if a customer had written it."""
    import httpx

    if (body is None) == (body_file is None):
        raise CliError("give exactly one of --body and --body-file", EXIT_USAGE)
    settings = get_settings()
    text = body if body is not None else body_file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    control = settings.mail_base_url.rstrip("/").removesuffix("/v1")
    payload = {"inbox_id": settings.inbox_id, "from": sender, "subject": subject, "plain_body": text}
    if thread:
        payload["thread_id"] = thread
    try:
        response = httpx.post(f"{control}/_sim/inbound", json=payload, timeout=10)
    except httpx.HTTPError as err:
        raise CliError(f"the mail emulator at {control} is unreachable ({_one_line(str(err))})", EXIT_UNREACHABLE) from None
    if not response.is_success:
        raise CliError(f"the emulator refused the message ({response.status_code}): {_one_line(response.text[:300])}", EXIT_REFUSED)
    created = response.json()
    print(f"message {created['message_id']} in thread {created['thread_id']}: workflow triage-{created['message_id']}")


@app.command()
def eval(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Labelled JSONL.")],
    provider: Annotated[str, typer.Option(help="offline or openai.")] = "offline",
    as_json: JsonOption = False,
    show_unsafe: Annotated[
        bool, typer.Option("--show-unsafe", help="List each unsafe auto-send and why every gate let it through.")
    ] = False,
) -> None:
    """Measure classification and the send policy on a labelled JSONL file (figures per source)."""
    from triage.evaluation import run_eval_command

    raise typer.Exit(run_eval_command(file, provider, as_json, show_unsafe))


kb_app = typer.Typer(help="Check a knowledge-base folder and see what a question would cite.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
KbDirOption = Annotated[
    Path | None,
    typer.Option("--dir", exists=True, file_okay=False, help="The articles folder (default: TRIAGE_KB_DIR, else the packaged one)."),
]


def _kb_dir(directory: Path | None) -> Path:
    if directory is not None:
        return directory
    configured = get_settings().kb_dir
    return configured if configured is not None else Path(str(resources.files("triage").joinpath("kb")))


@kb_app.command("check")
def kb_check(
    directory: Annotated[
        Path | None,
        typer.Argument(exists=True, file_okay=False, help="The articles folder (default: TRIAGE_KB_DIR, else the packaged one)."),
    ] = None,
) -> None:
    """Validate front matter, ids, translations and that every declared question can be reached."""
    from triage.kb import KnowledgeBase
    from triage.kb_check import check_folder

    folder = _kb_dir(directory)
    problems = check_folder(folder)
    for problem in problems:
        print(problem)
    if problems:
        raise CliError(f"{len(problems)} problem(s) in {folder}", EXIT_REFUSED)
    kb = KnowledgeBase.load(folder)
    versions = kb.versions()
    languages = ", ".join(sorted({a.language for a in versions}))
    questions = sum(len(a.questions) for a in versions)
    print(f"{folder}: {len(kb.articles)} articles in {languages} ({len(versions)} files, {questions} questions): no problems")


@kb_app.command("search")
def kb_search(
    question: Annotated[str, typer.Argument(help="What a customer asks.")],
    directory: KbDirOption = None,
    language: Annotated[str | None, typer.Option(help="The customer's language (default: detected).")] = None,
    as_json: JsonOption = False,
) -> None:
    """What a question would cite: the declared question it matches (and its score) and the search ranking."""
    from triage.kb import KnowledgeBase
    from triage.llm.language import detect_language

    settings = get_settings()
    kb = KnowledgeBase.load(_kb_dir(directory))
    lang = language or detect_language(question)
    answer = kb.answer("", question)
    cited = kb.version(answer.article_id, lang) or kb.article(answer.article_id) if answer else None
    hits = kb.search(question, k=3)
    threshold = settings.answer_threshold
    if as_json:
        print(json.dumps({
            "language": lang,
            "answer": answer.model_dump() if answer else None,
            "sendable": bool(answer and answer.score >= threshold and not answer.unanswered),
            "cited": {"id": cited.id, "language": cited.language, "title": cited.title, "url": cited.url} if cited else None,
            "search": [{"id": a.id, "title": a.title, "score": round(score, 4)} for a, score in hits],
        }, ensure_ascii=False, indent=2))
        return
    if answer is None:
        print(f"language {lang}: no declared question to match (too few words that say what it is about)")
    else:
        verdict = "answers it" if answer.score >= threshold else "too far: no article answers it"
        print(f'language {lang}: closest declared question "{answer.question}" of {answer.article_id} '
              f"at {answer.score:.2f} (threshold {threshold:.2f}: {verdict})")
        for other in answer.unanswered:
            print(f"  unanswered: {other}")
        if cited is not None:
            note = "" if cited.language == lang else f"  (no article in {lang}: the reply waits for a human)"
            print(f"cites: {cited.title} [{cited.language}] {cited.url or ''}{note}")
    print("search:")
    for article, score in hits:
        print(f"  {score:.2f}  {article.id}  {article.title}")


if __name__ == "__main__":
    app()
