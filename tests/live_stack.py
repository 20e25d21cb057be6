"""``triage up`` as an operator runs it: a subprocess on free ports, stopped with Ctrl-C (SIGINT).

Used by the CLI, demo and README tests: the real dev server, emulator,
worker, watcher and API, started by the command the README gives.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from starter.demo import demo_samples
from tests.cli_in_process import run_triage
from triage.runtime.asgi_server import free_port

REPO = Path(__file__).resolve().parent.parent
TRIAGE = str(Path(sys.executable).with_name("triage"))
SAMPLES = len(demo_samples())  # the demo's sample emails, as triage up --demo injects them


@dataclass
class Ports:
    temporal: int = field(default_factory=free_port)
    ui: int = field(default_factory=free_port)
    mail: int = field(default_factory=free_port)
    api: int = field(default_factory=free_port)

    def env(self) -> dict[str, str]:
        """The environment of the stack and of every command run against it."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TEMPORAL_", "MYAGENTMAIL_", "TRIAGE_", "OTEL_", "OPENAI_", "SLACK_"))
        }
        env.update(
            TEMPORAL_ADDRESS=f"127.0.0.1:{self.temporal}",
            TRIAGE_TEMPORAL_UI_PORT=str(self.ui),
            TRIAGE_API_PORT=str(self.api),
            MYAGENTMAIL_BASE_URL=f"http://127.0.0.1:{self.mail}/v1",
            TRIAGE_PROVIDER="offline",
            TRIAGE_LOG_LEVEL="WARNING",
        )
        return env


@dataclass
class Stack:
    ports: Ports
    data_dir: Path
    log: Path
    process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        return self.ports.env()

    @property
    def control(self) -> str:
        return f"http://127.0.0.1:{self.ports.mail}"

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def start(self, *args: str, timeout: float = 150) -> str:
        """``triage up ARGS`` until it says it is up (and, with --demo, what it injected); its output."""
        assert self.process is None or self.process.poll() is not None, "already running"
        offset = len(self.output())
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [TRIAGE, "up", "--data-dir", str(self.data_dir), *args],
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal reaches only `triage up`, as here
            )
        ready = "demo: injected" if "--demo" in args else "support-triage is up"
        deadline = time.monotonic() + timeout
        while ready not in self.output()[offset:]:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"triage up exited with {self.process.returncode}:\n{self.output()[offset:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"triage up not ready in {timeout:.0f} s:\n{self.output()[offset:]}")
            time.sleep(0.5)
        return self.output()[offset:]

    def stop(self) -> int:
        """Ctrl-C, as an operator stops it; the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise

    def token(self) -> str:
        return (self.data_dir / "demo-token").read_text().strip()

    def sent(self) -> list[dict]:
        return httpx.get(f"{self.control}/_sim/sent", timeout=10).json()["sent"]

    def inbound(self) -> list[dict]:
        response = httpx.get(
            f"{self.control}/v1/inboxes/support/messages",
            params={"direction": "inbound", "limit": 100},
            headers={"X-API-Key": "sim-dev-key"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["messages"]

    def triage(self, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
        """One CLI command against this stack, a process of its own (the console script, as a script runs it)."""
        return subprocess.run(
            [TRIAGE, *args],
            env={**self.env, **env},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """One CLI command against this stack, run in this process (``tests/cli_in_process.py``)."""
        return run_triage(args, {**self.env, **env}, cwd=REPO)

    def reviews(self, *args: str) -> list[dict]:
        done = self.cli("reviews", "--json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def listed(self, status: str = "any") -> list[dict]:
        """The triage workflows as the reviewer API lists them (visibility only: no state queries)."""
        response = httpx.get(
            f"{self.api}/api/reviews",
            params={"status": status, "limit": 200},
            headers={"Authorization": f"Bearer {self.token()}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["items"]

    def wait_settled(self, pending: int | None = None, timeout: float = 90) -> list[dict]:
        """Until every inbound sample has a workflow that finished or waits for review.

        Polled over the running API: a ``triage reviews --all`` per poll cost a second of CPU
        and a state query per workflow, and slowed the stack it waited for."""
        deadline = time.monotonic() + timeout
        while True:
            every = self.listed()
            busy = [r for r in every if r["status"] in (None, "classifying", "drafting")]
            waiting = [r for r in every if r["status"] == "awaiting_review"]
            if (
                len(every) >= len(self.inbound())
                and not busy
                and (pending is None or len(waiting) >= pending)
            ):
                return every
            if time.monotonic() > deadline:
                raise AssertionError(f"not settled in {timeout:.0f} s: {every}")
            time.sleep(1)


@contextmanager
def demo_stack(directory: Path, pending: int) -> Iterator[Stack]:
    """``triage up --demo`` in ``directory`` until ``pending`` reviews wait; stopped cleanly after."""
    stack = Stack(Ports(), directory / "data", directory / "up.log")
    stack.start("--demo")
    try:
        stack.wait_settled(pending=pending)
    except BaseException:
        stack.stop()  # one that never settled must not outlive the tests (it ran on, loading the machine)
        raise
    yield stack
    assert stack.stop() == 0, stack.output()[-3000:]
