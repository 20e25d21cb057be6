"""``triage up --demo`` is safe to run again: restarts, a second start, --reset; and it stops
as an operator stops it, from a terminal.

Ctrl-C in a terminal sends SIGINT to the whole foreground process group: ``triage up``
and every child at once. The stack must end within its 5 s deadline with no traceback and
no warning; the restart must say "already triaged" (debug) for mail that has its workflow.
One stack goes through all of it: each start of it costs more than the checks.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from starter.demo import sample_key
from starter.stack import STOP_WITHIN
from tests.live_stack import REPO, SAMPLES, TRIAGE, Ports, Stack

pytestmark = pytest.mark.slow

CATCH_UP_DONE = "catch-up looked at"  # the watcher's line (info) once its first catch-up is over


@dataclass
class DebugPorts(Ports):
    def env(self) -> dict[str, str]:
        return {**super().env(), "TRIAGE_LOG_LEVEL": "DEBUG"}


def quiet_for(stack: Stack, seconds: float) -> tuple[int, int]:
    """(inbound, sent) once nothing changed for ``seconds``."""
    last, since = None, time.monotonic()
    while time.monotonic() - since < seconds:
        now = (len(stack.inbound()), len(stack.sent()))
        if now != last:
            last, since = now, time.monotonic()
        time.sleep(1)
    assert last is not None
    return last


def caught_up(stack: Stack, offset: int, timeout: float = 60) -> str:
    """The output from ``offset`` once the watcher's first catch-up after a start is over."""
    deadline = time.monotonic() + timeout
    while CATCH_UP_DONE not in stack.output()[offset:]:
        assert time.monotonic() < deadline, f"no catch-up in {timeout:.0f} s:\n{stack.output()[offset:]}"
        time.sleep(0.2)
    return stack.output()[offset:]


def ctrl_c(stack: Stack) -> tuple[float, str]:
    """SIGINT to the process group, as a terminal sends it; (seconds until all are gone, what it printed)."""
    assert stack.process is not None
    mark = len(stack.output())
    started = time.monotonic()
    os.killpg(stack.process.pid, signal.SIGINT)
    assert stack.process.wait(timeout=60) == 0
    while True:  # the children too
        try:
            os.killpg(stack.process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() - started < 60, "children outlived triage up"
        time.sleep(0.05)
    return time.monotonic() - started, stack.output()[mark:]


def assert_quick_and_quiet(seconds: float, said: str) -> None:
    assert "Traceback" not in said and "CancelledError" not in said and "KeyboardInterrupt" not in said, said
    assert not re.search(r"\b(WARN|WARNING)\b|level=WARN", said), said
    # Its own deadline (children killed at STOP_WITHIN); the interpreter's exit on a loaded machine on top.
    assert seconds < STOP_WITHIN + 10, seconds


@pytest.mark.timeout(600)
def test_restarts_never_inject_again_keep_the_token_and_ctrl_c_is_quick_and_quiet(tmp_path: Path):
    stack = Stack(DebugPorts(), tmp_path / "data", tmp_path / "up.log")
    try:
        restarts(stack, tmp_path)
    finally:
        stack.stop()  # after a failed check too: no stack outlives the test


def restarts(stack: Stack, tmp_path: Path) -> None:
    first = stack.start("--demo")
    assert f"demo: injected {SAMPLES} sample emails" in first
    token = stack.token()
    assert token in first and len(token) >= 32
    assert (stack.data_dir / "demo-token").stat().st_mode & 0o077 == 0
    every = stack.wait_settled(pending=1)
    pending = {r["workflow_id"] for r in every if r["status"] == "awaiting_review"}
    known = {r["workflow_id"].removeprefix("triage-") for r in every}
    inbound, sent = quiet_for(stack, 5)
    requested = [line for line in stack.output().splitlines() if "review_requested: " in line]
    assert requested, first[-3000:]
    for line in requested:  # one line: id, category, main reason; no context dict
        assert re.search(
            r"review_requested: triage-msg_\w+, (billing|bug|feature_request|general|faq), .+ \(revision \d+\)",
            line,
        ), line
        assert "{'activity_id'" not in line
    assert inbound == SAMPLES
    print(f"first start: {inbound} inbound, {sent} sent, {len(pending)} pending")

    # A second `triage up` while this one runs: one line naming the port and its holder, exit 1.
    second = subprocess.run(
        [TRIAGE, "up", "--demo", "--data-dir", str(tmp_path / "other")],
        env={**stack.env, "TRIAGE_LOG_LEVEL": "WARNING"},  # as an operator runs it, not in debug
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1, second
    line = second.stderr.strip()
    assert "\n" not in line and f"port {stack.ports.temporal} (Temporal gRPC) is in use by pid " in line, line
    assert "temporal server start-dev" in line
    assert "support-triage is up" not in second.stdout + second.stderr
    print(f"second start: exit {second.returncode}: {line}")

    # Restarts: after Ctrl-C in a terminal (every process at once), then after SIGINT to
    # `triage up` alone (it stops its children itself).
    for restart in (1, 2):
        if restart == 1:
            seconds, said = ctrl_c(stack)
            print(f"Ctrl-C: all stopped in {seconds:.1f} s; it printed:\n{said}")
            assert_quick_and_quiet(seconds, said)
        else:
            assert stack.stop() == 0
        before = len(stack.output())
        again = stack.start("--demo")
        assert f"demo: injected 0 sample emails ({SAMPLES} already in the inbox" in again, again
        assert token in again and stack.token() == token
        still = {r["workflow_id"] for r in stack.reviews()}
        assert pending <= still, "pending reviews survive a restart"
        restarted = caught_up(stack, before)
        # Every message with a workflow is read again by the catch-up, and none starts again.
        assert set(re.findall(r"already triaged: (msg_\w+)", restarted)) == known, restarted[-3000:]
        assert "triage started for" not in restarted, "no restart message for known mail"
        # The catch-up is what could start or send again: it is over; a moment more for a stray send.
        assert quiet_for(stack, 3) == (inbound, sent)
        print(f"restart {restart}: {inbound} inbound, {sent} sent, {len(still)} pending")
    keys = [sample_key(m["from"], m["subject"]) for m in stack.inbound()]
    assert len(set(keys)) == len(keys) == SAMPLES

    # --reset: from empty (new workflows, new mail), same token.
    assert stack.stop() == 0
    fresh = stack.start("--demo", "--reset")
    assert "reset: removed" in fresh and f"demo: injected {SAMPLES} sample emails" in fresh
    assert stack.token() == token
    every = stack.wait_settled(pending=1)
    assert not pending & {r["workflow_id"] for r in every}
    assert len(every) == len(stack.inbound()) == SAMPLES
    assert stack.stop() == 0


def test_a_taken_port_is_refused_naming_this_process(tmp_path: Path):
    ports = Ports()
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", ports.mail))
        holder.listen()
        started = time.monotonic()
        done = subprocess.run(
            [TRIAGE, "up", "--demo", "--data-dir", str(tmp_path / "data")],
            env=ports.env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        f"triage: port {ports.mail} (mail emulator) is in use by pid {os.getpid()} ("
    )
    assert "--mail-port" in done.stderr
    assert not (tmp_path / "data").exists(), "nothing starts, nothing is written"
    assert time.monotonic() - started < 30
