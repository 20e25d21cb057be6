"""``triage up``: the whole local stack as child processes, stopped together.

Safe to run again: it refuses to start (one line naming the port and the
process holding it) when any of its ports is taken, keeps the demo reviewer
token under the data directory, and sends a demo sample only to an inbox
that has never received it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from rich.console import Console

from starter.demo import (
    DEMO_TOKEN_FILE,
    SESSION_SECRET_FILE,
    demo_autonomy_env,
    demo_token,
    inject_samples,
)
from starter.mailbox import imap_mailbox
from starter.ports import loopback, port_problem, stack_ports
from triage.dev.devserver import start_dev_server
from triage.judging.local_server import DEFAULT_PORT as LLM_PORT
from triage.judging.local_server import provider_env
from triage.mail.sim.runner import wait_for_subscriber
from triage.runtime.config import Settings
from triage.runtime.net import wait_http

console = Console(soft_wrap=True)  # a URL or token is never cut

MAILSIM_PORT = 8725
DATA_FILES = ("temporal.db", "mailsim.db")


class StackError(Exception):
    """The stack cannot start; the message is one line for the operator."""


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


def _child(*args: str, env: dict[str, str], own_process_group: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "starter.cli", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        process_group=0 if own_process_group else None,
    )


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
    if problem := port_problem([p for p in ports if not (mailbox and p[0] == "mail emulator")] + llm_ports):
        raise StackError(problem)
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
    api_url = f"http://{loopback(settings.api_host)}:{settings.api_port}"
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
                    sqlite_pragmas=settings.temporal_sqlite_pragmas,
                    # Its shutdown logs a WARN per internal poller; errors still show.
                    log_level="error",
                    # The servers stop after the clients (stop_children), not on the terminal's
                    # Ctrl-C with them: a worker's last shutdown call needs the server up.
                    own_process_group=True,
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
                        own_process_group=True,
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
