"""``triage up``: the whole local stack as child processes, stopped together.

Safe to run again: it refuses to start (one line naming the port and the
process holding it) when any of its ports is taken, keeps the demo reviewer
token under the data directory, and sends a demo sample only to an inbox
that has never received it.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console

from starter.mailbox import imap_mailbox
from triage.config import Settings
from triage.devserver import start_dev_server
from triage.llm.local_server import DEFAULT_PORT as LLM_PORT
from triage.llm.local_server import provider_env
from triage.mailsim.runner import wait_for_subscriber
from triage.models import AutonomyMode
from triage.net import wait_http

console = Console(soft_wrap=True)  # a URL or token is never cut

MAILSIM_PORT = 8725
DEMO_TOKEN_FILE = "demo-token"
SESSION_SECRET_FILE = "session-secret"
DATA_FILES = ("temporal.db", "mailsim.db")


class StackError(Exception):
    """The stack cannot start; the message is one line for the operator."""


# The demo shows the three autonomy modes on its samples: the browsers answer waits in
# shadow ("would have been sent automatically"), the data-export answer in review, the
# rest goes out alone; three agreeing verdicts promote a shadow article.
DEMO_AUTONOMY = {
    "TRIAGE_AUTONOMY_ARTICLES": json.dumps(
        {"supported-browsers": AutonomyMode.SHADOW, "export-data": AutonomyMode.REVIEW}
    ),
    "TRIAGE_AUTONOMY_PROMOTE_AFTER": "3",
}


def demo_autonomy_env(settings: Settings) -> dict[str, str]:
    """The demo's modes, unless the operator configured autonomy (environment or file)."""
    configured = settings.model_fields_set & {
        "autonomy",
        "autonomy_articles",
        "autonomy_categories",
        "autonomy_promote_after",
    }
    return {} if configured else dict(DEMO_AUTONOMY)


def demo_samples() -> list[dict[str, Any]]:
    return json.loads(resources.files("triage.demo").joinpath("samples.json").read_text())


def sample_key(sender: str, subject: str | None) -> tuple[str, str]:
    """What makes a sample the same email again: the sender's address and the subject."""
    address = parseaddr(sender)[1] or sender
    return address.strip().lower(), (subject or "").strip()


async def inject_samples(control_url: str, settings: Settings) -> tuple[list[str], int]:
    """Send the demo samples the inbox has never received.

    The inbox itself is the record: a sample whose sender and subject are
    already among its inbound messages is not sent again, so restarting the
    demo never duplicates a review or a customer's auto-reply. Returns the
    new message ids and how many samples were there already.
    """
    from triage.mail.factory import build_mail_provider

    inbox_id = settings.inbox_id
    seen: set[tuple[str, str]] = set()
    async with build_mail_provider(settings) as mail:
        async for page in mail.inbound_pages(inbox_id, page_size=100, max_pages=10_000):
            seen.update(sample_key(m.from_address, m.subject) for m in page)
    ids: list[str] = []
    already = 0
    async with httpx.AsyncClient(base_url=control_url, timeout=10) as http:
        for sample in demo_samples():
            if sample_key(sample["from"], sample.get("subject")) in seen:
                already += 1
                continue
            response = await http.post("/_sim/inbound", json={"inbox_id": inbox_id, **sample})
            response.raise_for_status()
            ids.append(response.json()["message_id"])
    return ids, already


def demo_token(data_dir: Path, name: str = DEMO_TOKEN_FILE) -> str:
    """The demo reviewer's token (or another secret): made once, kept (mode 0600) in ``data_dir/name``."""
    path = data_dir / name
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token + "\n")
    return token


def reset_data(data_dir: Path) -> list[Path]:
    """Delete the stack's databases (workflows and mail); the demo token stays."""
    removed = []
    for name in DATA_FILES:
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = data_dir / f"{name}{suffix}"
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


# ---- ports ------------------------------------------------------------------------


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("", "localhost") else host


def stack_ports(settings: Settings, mail_port: int, *, with_api: bool) -> list[tuple[str, str, int, str]]:
    """(what, host, port, how to move it) for every port ``triage up`` binds."""
    host, _, port = settings.temporal_address.rpartition(":")
    ports = [
        ("Temporal gRPC", _loopback(host), int(port), "TEMPORAL_ADDRESS"),
        ("Temporal Web UI", "127.0.0.1", settings.temporal_ui_port, "TRIAGE_TEMPORAL_UI_PORT"),
        ("mail emulator", "127.0.0.1", mail_port, "--mail-port"),
    ]
    if with_api:
        ports.append(("reviewer API", _loopback(settings.api_host), settings.api_port, "TRIAGE_API_PORT"))
    if settings.metrics_port:
        ports.append(
            ("worker metrics", _loopback(settings.metrics_host), settings.metrics_port, "TRIAGE_METRICS_PORT")
        )
    return ports


def port_taken(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def port_holder(port: int) -> str | None:
    """``pid N (command)`` of the process listening on ``port``, when this user may know it."""
    pid = _listener_pid_proc(port) or _listener_pid_lsof(port)
    if pid is None:
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join([Path(argv[0].decode()).name, *(a.decode() for a in argv[1:] if a)])
    except OSError:
        command = ""
    if len(command) > 60:
        command = command[:59] + "…"
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def _listener_pid_proc(port: int) -> int | None:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _listener_pid_lsof(port: int) -> int | None:
    try:
        found = subprocess.run(
            ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-Fp"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    pids = [int(line[1:]) for line in found.splitlines() if line.startswith("p") and line[1:].isdigit()]
    return pids[0] if pids else None


def check_ports(ports: list[tuple[str, str, int, str]]) -> None:
    """Raise ``StackError`` naming the first taken port and who holds it."""
    taken = [(what, host, port, hint) for what, host, port, hint in ports if port_taken(host, port)]
    if not taken:
        return
    what, _, port, hint = taken[0]
    others = [str(p) for _, _, p, _ in taken[1:]]
    also = f"; {', '.join(others)} {'is' if len(others) == 1 else 'are'} taken too" if others else ""
    raise StackError(
        f"port {port} ({what}) is in use by {port_holder(port) or 'another process'}{also}: "
        f"is support-triage already running? Stop it, or move this one with {hint}"
    )


# ---- starting and stopping ----------------------------------------------------------


async def _wait_temporal(address: str, namespace: str, timeout: float = 60.0) -> None:
    """Until the dev server answers, on a runtime dropped before we return (no threads left behind)."""
    from temporalio.client import Client
    from temporalio.runtime import Runtime, TelemetryConfig

    runtime = Runtime(telemetry=TelemetryConfig())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            client = await Client.connect(address, namespace=namespace, runtime=runtime)
            if await client.service_client.check_health():
                return
        except Exception as exc:  # not up yet
            if loop.time() > deadline:
                raise TimeoutError(f"Temporal at {address} did not answer in {timeout:.0f}s") from exc
        await asyncio.sleep(0.3)


def _child(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "starter.cli", *args], env=env, stdin=subprocess.DEVNULL)


async def _while_children_live(
    children: list[tuple[str, subprocess.Popen[bytes]]],
    stop: asyncio.Event,
    step: Callable[[], Awaitable[None]],
) -> bool:
    """Run a start-up step; False if Ctrl-C came first, StackError if a child died meanwhile."""
    task = asyncio.ensure_future(step())
    try:
        while not task.done():
            if stop.is_set():
                return False
            for name, child in children:
                if child.poll() is not None:
                    raise StackError(f"{name} exited with {child.returncode} while the stack was starting")
            await asyncio.wait({task}, timeout=0.3)
        task.result()
        return True
    finally:
        task.cancel()


def mail_port_from(base_url: str | None) -> int:
    """The emulator's port: the one in a loopback ``MYAGENTMAIL_BASE_URL``, else 8725."""
    if base_url:
        url = urlsplit(base_url)
        if url.hostname in ("127.0.0.1", "localhost") and url.port:
            return url.port
    return MAILSIM_PORT


async def run_stack(
    settings: Settings,
    *,
    data_dir: Path,
    demo: bool,
    reset: bool = False,
    mail_port: int | None = None,
    mail: str | None = None,
    local_llm: bool = False,
) -> int:
    mail_port = mail_port or mail_port_from(os.environ.get("MYAGENTMAIL_BASE_URL"))
    try:
        mailbox = imap_mailbox(settings, mail, demo=demo)  # None: the emulator
    except ValueError as err:
        raise StackError(str(err)) from err
    ports = stack_ports(settings, mail_port, with_api=_has_api())
    llm_ports = (
        [("local model", "127.0.0.1", LLM_PORT, "`triage llm serve --port` apart")] if local_llm else []
    )
    check_ports([p for p in ports if not (mailbox and p[0] == "mail emulator")] + llm_ports)
    data_dir.mkdir(parents=True, exist_ok=True)
    if reset:
        removed = reset_data(data_dir)
        console.print(
            f"reset: removed {len(removed)} files under {data_dir} (workflows and mail)", highlight=False
        )
    env = dict(os.environ)
    base_url = f"http://127.0.0.1:{mail_port}/v1"
    env["MYAGENTMAIL_BASE_URL"] = base_url
    env.pop("MYAGENTMAIL_WS_URL", None)
    env["TRIAGE_MAIL_PROVIDER"] = "imap" if mailbox else "myagentmail"
    api_url = f"http://{_loopback(settings.api_host)}:{settings.api_port}"
    public_url = settings.public_url if "public_url" in settings.model_fields_set else api_url
    env["TRIAGE_PUBLIC_URL"] = public_url
    token = None
    if not settings.reviewer_tokens():
        # Kept under the data directory: a restart does not log the reviewer out.
        token = demo_token(data_dir)
        # An admin: the demo shows changing autonomy modes as well as deciding reviews.
        env["TRIAGE_REVIEWERS"] = f"demo:{token}:admin"
    if not settings.session_secret:
        # Signs the dashboard's cookies: kept, so that restarting the stack signs nobody out.
        env["TRIAGE_SESSION_SECRET"] = demo_token(data_dir, SESSION_SECRET_FILE)
    if demo:
        env.update(demo_autonomy_env(settings))
    if local_llm:
        env.update(provider_env(f"http://127.0.0.1:{LLM_PORT}/v1"))
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        port = settings.temporal_address.rpartition(":")[2]
        children.append(
            (
                "temporal",
                start_dev_server(
                    data_dir / "temporal.db",
                    port=int(port),
                    ui_port=settings.temporal_ui_port,
                    namespace=settings.temporal_namespace,
                    # Its shutdown logs a WARN per internal poller; errors still show.
                    log_level="error",
                ),
            )
        )
        if not mailbox:
            children.append(
                (
                    "mailsim",
                    _child(
                        "mailsim",
                        "--port",
                        str(mail_port),
                        "--db-file",
                        str(data_dir / "mailsim.db"),
                        env=env,
                    ),
                )
            )
        control_url = f"http://127.0.0.1:{mail_port}"
        if not await _while_children_live(
            children, stop, lambda: _wait_temporal(settings.temporal_address, settings.temporal_namespace)
        ):
            return 0
        if not mailbox and not await _while_children_live(
            children, stop, lambda: wait_http(f"{control_url}/_sim/health")
        ):
            return 0
        if local_llm:
            children.append(("local model", _child("llm", "serve", "--port", str(LLM_PORT), env=env)))
            if not await _while_children_live(
                children, stop, lambda: wait_http(f"http://127.0.0.1:{LLM_PORT}/health", 90)
            ):
                return 0
        children.append(("worker", _child("worker", env=env)))
        children.extend(
            (f"judge {n}", _child("judge", env=env)) for n in range(1, settings.judge_processes + 1)
        )
        children.append(("watcher", _child("watch", env=env)))
        if _has_api():
            children.append(("api", _child("api", env=env)))
            if not await _while_children_live(children, stop, lambda: wait_http(f"{api_url}/healthz", 90)):
                return 0

        console.print("[bold green]support-triage is up[/]")
        console.print(
            f"  Temporal Web UI   http://127.0.0.1:{settings.temporal_ui_port}/namespaces/{settings.temporal_namespace}/workflows"
        )
        console.print(f"  Temporal gRPC     {settings.temporal_address}")
        console.print(
            f"  mailbox           {mailbox}"
            if mailbox
            else f"  myagentmail sim   {control_url}/v1  (sent mail: {control_url}/_sim/sent)"
        )
        if _has_api():
            console.print(f"  Reviewer dashboard {public_url}")
            if token:
                console.print(
                    f"  Reviewer token    {token}  (admin 'demo', kept in {data_dir / DEMO_TOKEN_FILE}; "
                    "set TRIAGE_REVIEWERS to choose your own)",
                    highlight=False,
                )
        console.print(
            "  Pending reviews   .venv/bin/triage reviews   |   approve: .venv/bin/triage approve <id>"
        )
        if demo:
            # The samples go in once the watcher's socket is open (after 10 s anyway: its
            # catch-up covers mail it missed).
            await wait_for_subscriber(control_url, timeout=10.0)
            ids, already = await inject_samples(
                control_url, settings.model_copy(update={"mail_base_url": base_url})
            )
            console.print(
                f"  demo: injected {len(ids)} sample emails"
                + (f" ({already} already in the inbox, not sent again)" if already else ""),
                highlight=False,
            )
        failed = False
        while not stop.is_set():
            for name, child in children:
                if child.poll() is not None:
                    console.print(f"[red]{name} exited with {child.returncode}; stopping the stack[/]")
                    failed = True
                    stop.set()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
        return 1 if failed else 0
    finally:
        await stop_children(children)


# What uses Temporal and the emulator stops first, so nothing logs their going away.
_SERVERS = ("temporal", "mailsim")
STOP_WITHIN = 5.0  # seconds: Ctrl-C ends the stack within this, forcing what is left


async def stop_children(
    children: list[tuple[str, subprocess.Popen[bytes]]], within: float = STOP_WITHIN
) -> None:
    """Stop the stack: the clients (API, watcher, worker) first, then the emulator and Temporal.

    Each gets one SIGTERM, then the time left of ``within``; what still runs after that is
    killed. SIGTERM, not SIGINT: a terminal's Ctrl-C has reached the children already, and a
    second SIGINT makes uvicorn force its exit (two lifespan tracebacks). Pending
    reviews are safe either way: they live in Temporal's database, and every activity is
    idempotent and retried on the next start.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    clients = [(name, child) for name, child in reversed(children) if name not in _SERVERS]
    servers = [(name, child) for name, child in reversed(children) if name in _SERVERS]
    for group, share in ((clients, 0.75), (servers, 1.0)):
        for _, child in group:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        until = loop.time() + (deadline - loop.time()) * share
        while any(child.poll() is None for _, child in group) and loop.time() < until:
            await asyncio.sleep(0.05)
        for name, child in group:
            if child.poll() is None:
                child.kill()
                console.print(
                    f"{name} did not stop in time: killed (its work resumes on the next start)",
                    highlight=False,
                )
            child.wait()


def _has_api() -> bool:
    try:
        import starter.api  # noqa: F401
    except ImportError:
        return False
    return True
