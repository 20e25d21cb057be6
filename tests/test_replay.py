"""Saved histories replay against today's workflow code.

A change that breaks determinism for workflows already running (pending
reviews last days) fails here. Refresh the histories deliberately with
``TRIAGE_SAVE_HISTORIES=1 pytest tests/test_workflow.py tests/test_sender_limit_shares.py``
after a change guarded by ``workflow.patched``. ``counter_before_inbox_shares.json``
is a sender counter as the code before the inbox-budget-shares gate wrote it
(requests without ``shared_inbox``): it cannot be refreshed, only dropped with that gate. Likewise ``auto_sent_local.json`` and
``follow_up_local.json``: a reservation and a join as the local activities of the code
before the coordination-activities gate (``tests/test_coordination.py`` writes the
``*_coordination`` ones).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from triage.runtime.config import Settings
from worker.main import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_present():
    assert len(HISTORIES) >= 5, "saved histories are missing: see this module's docstring"


# Every way the worker may run them: as plain code (the worker's default), in the sandbox with
# the workflows package shared by every run, and imported afresh in the full sandbox, which
# refuses forbidden calls in it.
RUNNERS = {
    "unsandboxed": {"workflow_sandbox": False},
    "shared": {"workflow_sandbox": True, "share_workflow_modules": True},
    "sandboxed": {"workflow_sandbox": True, "share_workflow_modules": False},
}


@pytest.mark.parametrize("runner_settings", RUNNERS.values(), ids=RUNNERS.keys())
@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path, runner_settings: dict[str, bool]):
    history = WorkflowHistory.from_json(f"triage-{path.stem}", path.read_text())
    runner = workflow_runner(Settings(**runner_settings))
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=pydantic_data_converter, workflow_runner=runner
    )
    await replayer.replay_workflow(history)
