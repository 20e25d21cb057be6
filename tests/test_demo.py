"""``triage up --demo`` is safe to run again: restarts, a second start, --reset."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from starter.demo import sample_key
from tests.live_stack import REPO, SAMPLES, TRIAGE, Ports, Stack

pytestmark = pytest.mark.slow


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


@pytest.mark.timeout(600)
def test_restarts_never_inject_again_and_keep_the_token(tmp_path: Path):
    stack = Stack(Ports(), tmp_path / "data", tmp_path / "up.log")
    first = stack.start("--demo")
    assert f"demo: injected {SAMPLES} sample emails" in first
    token = stack.token()
    assert token in first and len(token) >= 32
    assert (stack.data_dir / "demo-token").stat().st_mode & 0o077 == 0
    pending = {r["workflow_id"] for r in stack.wait_settled(pending=1) if r["status"] == "awaiting_review"}
    inbound, sent = quiet_for(stack, 5)
    assert inbound == SAMPLES
    print(f"first start: {inbound} inbound, {sent} sent, {len(pending)} pending")

    # A second `triage up` while this one runs: one line naming the port and its holder, exit 1.
    second = subprocess.run(
        [TRIAGE, "up", "--demo", "--data-dir", str(tmp_path / "other")],
        env=stack.env,
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

    for restart in (1, 2):
        assert stack.stop() == 0
        again = stack.start("--demo")
        assert f"demo: injected 0 sample emails ({SAMPLES} already in the inbox" in again, again
        assert token in again and stack.token() == token
        still = {r["workflow_id"] for r in stack.reviews()}
        assert pending <= still, "pending reviews survive a restart"
        assert quiet_for(stack, 8) == (inbound, sent)
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
