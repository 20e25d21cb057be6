"""Saved histories replay against today's workflow code.

A change that breaks determinism for workflows already running (pending
reviews last days) fails here. After a change guarded by ``workflow.patched``,
write the histories of its new side with
``TRIAGE_SAVE_HISTORIES=1 pytest tests/test_workflow.py tests/test_sender_limit_shares.py tests/test_coordination.py tests/test_reply_alone.py``:
it writes the ones that are missing and never one that exists (``tests.helpers.save_history``),
since each replays the side of the gates it was written on. ``auto_sent.json``,
``approved.json``, ``approved_edited.json``, ``redrafted.json`` and ``expired.json``
predate every gate of the triage workflow (the old side of each);
``auto_sent_local.json`` and ``follow_up_local.json`` have every gate but
coordination-activities (a reservation and a join as local activities), the
``*_coordination`` ones all of them; ``counter_before_inbox_shares.json`` is a sender
counter from before the inbox-budget-shares gate (requests without ``shared_inbox``).
Such a history cannot be written again, only dropped with its gate.
The lean-path gate's new side: ``*_lean.json``, written by ``tests/test_workflow.py`` on it
(as ``auto_sent.json`` and so on, then renamed: the old side's keep those names), and
``held_by_limit.json`` (``tests/test_reply_alone.py``); ``auto_sent_coordination.json``
and ``follow_up_coordination.json`` hold every gate before it.
The review-notice-with-draft gate's new side (a review's draft saved and its reviewers notified
in one activity; the gate also stands for the lean path's): ``*_notice.json``, written the same
way by the same tests (``held_by_limit_notice.json`` too), the lean path's keep ``*_lean.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from temporalio.client import WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.helpers import HISTORY_DIR, save_history
from triage.runtime.config import Settings
from worker.main import WORKFLOWS, workflow_runner

HISTORIES = sorted(HISTORY_DIR.glob("*.json"))


def test_histories_are_present():
    assert len(HISTORIES) >= 5, "saved histories are missing: see this module's docstring"


# Every way the worker may run them: as plain code (the worker's default), in the sandbox with
# the workflows package shared by every run, and imported afresh in the full sandbox, which
# refuses forbidden calls in it.
RUNNERS: dict[str, dict[str, Any]] = {
    "unsandboxed": {"workflow_sandbox": False},
    "shared": {"workflow_sandbox": True, "share_workflow_modules": True},
    "sandboxed": {"workflow_sandbox": True, "share_workflow_modules": False},
}


@pytest.mark.parametrize("runner_settings", RUNNERS.values(), ids=RUNNERS.keys())
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path, runner_settings: dict[str, Any]):
    history = WorkflowHistory.from_json(f"triage-{path.stem}", path.read_text())
    runner = workflow_runner(Settings(**runner_settings))
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=pydantic_data_converter, workflow_runner=runner
    )
    await replayer.replay_workflow(history)


async def test_saving_histories_never_writes_over_one(monkeypatch: pytest.MonkeyPatch):
    """An old side of a gate is not replaced by today's path (the handle is never asked)."""
    monkeypatch.setenv("TRIAGE_SAVE_HISTORIES", "1")
    before = (HISTORY_DIR / "auto_sent.json").read_bytes()
    await save_history(cast(WorkflowHandle, None), "auto_sent")
    assert (HISTORY_DIR / "auto_sent.json").read_bytes() == before
