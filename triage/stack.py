"""``triage up``: the whole local stack as child processes, stopped together."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path

import httpx
from rich.console import Console

from triage.config import Settings
from triage.devserver import start_dev_server, wait_until_serving

console = Console()

MAILSIM_PORT = 8725


def demo_samples() -> list[dict]:
    return json.loads(resources.files("triage.demo").joinpath("samples.json").read_text())


async def inject_samples(control_url: str, inbox_id: str) -> list[str]:
    async with httpx.AsyncClient(base_url=control_url, timeout=10) as http:
        ids = []
        for sample in demo_samples():
            response = await http.post("/_sim/inbound", json={"inbox_id": inbox_id, **sample})
            response.raise_for_status()
            ids.append(response.json()["message_id"])
        return ids


async def _wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout:.0f}s")
            await asyncio.sleep(0.3)


def _child(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "triage.cli", *args], env=env, stdin=subprocess.DEVNULL)


async def run_stack(settings: Settings, *, data_dir: Path, demo: bool) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("MYAGENTMAIL_BASE_URL", f"http://127.0.0.1:{MAILSIM_PORT}/v1")
    demo_token = None
    if not settings.reviewer_tokens():
        # A fresh token per run: the local dashboard is never open by default.
        demo_token = secrets.token_urlsafe(18)
        env["TRIAGE_REVIEWERS"] = f"demo:{demo_token}"
    children: list[tuple[str, subprocess.Popen]] = []
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
                ),
            )
        )
        children.append(
            ("mailsim", _child("mailsim", "--port", str(MAILSIM_PORT), "--db-file", str(data_dir / "mailsim.db"), env=env))
        )
        await wait_until_serving(settings.temporal_address, settings.temporal_namespace)
        control_url = f"http://127.0.0.1:{MAILSIM_PORT}"
        await _wait_http(f"{control_url}/_sim/health")
        children.append(("worker", _child("worker", env=env)))
        children.append(("watcher", _child("watch", env=env)))
        if _has_api():
            children.append(("api", _child("api", env=env)))

        console.print("[bold green]support-triage is up[/]")
        console.print(f"  Temporal Web UI   http://127.0.0.1:{settings.temporal_ui_port}/namespaces/{settings.temporal_namespace}/workflows")
        console.print(f"  Temporal gRPC     {settings.temporal_address}")
        console.print(f"  myagentmail sim   {control_url}/v1  (sent mail: {control_url}/_sim/sent)")
        if _has_api():
            console.print(f"  Reviewer dashboard {settings.public_url}")
            if demo_token:
                console.print(f"  Reviewer token    {demo_token}  (reviewer 'demo'; set TRIAGE_REVIEWERS to choose your own)")
        console.print("  Pending reviews   triage reviews   |   approve: triage approve <workflow id>")
        if demo:
            await asyncio.sleep(3)  # let the watcher subscribe; catch-up covers a miss anyway
            ids = await inject_samples(control_url, settings.inbox_id)
            console.print(f"  injected {len(ids)} demo emails")
        while not stop.is_set():
            for name, child in children:
                if child.poll() is not None:
                    console.print(f"[red]{name} exited with {child.returncode}; stopping the stack[/]")
                    stop.set()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
        return 0
    finally:
        for _, child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        for _, child in reversed(children):
            try:
                child.wait(timeout=25)
            except subprocess.TimeoutExpired:
                child.kill()


def _has_api() -> bool:
    try:
        import triage.api  # noqa: F401
    except ImportError:
        return False
    return True
