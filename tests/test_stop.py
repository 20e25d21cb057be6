"""Stopping and restarting ``triage up --demo`` as an operator does, from a terminal.

Ctrl-C in a terminal sends SIGINT to the whole foreground process group: ``triage up``
and every child at once. The stack must end within its 5 s deadline with no traceback and
no warning; the restart must say "already triaged" (debug) for mail that has its workflow.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from starter.stack import STOP_WITHIN
from tests.live_stack import Ports, Stack

pytestmark = pytest.mark.slow


@dataclass
class DebugPorts(Ports):
    def env(self) -> dict[str, str]:
        return {**super().env(), "TRIAGE_LOG_LEVEL": "DEBUG"}


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


@pytest.mark.timeout(600)
def test_ctrl_c_is_quick_and_quiet_and_a_restart_says_already_triaged(tmp_path: Path):
    stack = Stack(DebugPorts(), tmp_path / "data", tmp_path / "up.log")
    first = stack.start("--demo")
    pending = stack.wait_settled(pending=1)
    requested = [line for line in stack.output().splitlines() if "review_requested: " in line]
    assert requested, first[-3000:]
    for line in requested:  # one line: id, category, main reason; no context dict
        assert re.search(
            r"review_requested: triage-msg_\w+, (billing|bug|feature_request|general|faq), .+ \(revision \d+\)",
            line,
        ), line
        assert "{'activity_id'" not in line

    seconds, said = ctrl_c(stack)
    print(f"Ctrl-C: all stopped in {seconds:.1f} s; it printed:\n{said}")
    assert "Traceback" not in said and "CancelledError" not in said and "KeyboardInterrupt" not in said, said
    assert not re.search(r"\b(WARN|WARNING)\b|level=WARN", said), said
    # Its own deadline (children killed at STOP_WITHIN); the interpreter's exit on a loaded machine on top.
    assert seconds < STOP_WITHIN + 10, seconds

    before = len(stack.output())
    assert "demo: injected 0 sample emails" in stack.start("--demo")
    stack.wait_settled(pending=1)
    time.sleep(3)  # the catch-up after the watcher's first connect
    known = {r["workflow_id"].removeprefix("triage-") for r in pending}
    restarted = stack.output()[before:]
    already = set(re.findall(r"already triaged: (msg_\w+)", restarted))
    assert already and already <= known, (already, known)
    assert not known & set(re.findall(r"triage started for (msg_\w+)", restarted)), (
        "no restart message for known mail"
    )
    seconds, said = ctrl_c(stack)
    assert "Traceback" not in said, said
