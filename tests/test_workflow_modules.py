"""The workflow worker's runner: plain code by default (``TRIAGE_WORKFLOW_SANDBOX`` off), or the
sandbox with the workflows package imported once and shared by every run
(``TRIAGE_SHARE_WORKFLOW_MODULES``), its cache bounded; reviews still run, and an evicted review
replays from its history when its decision arrives."""

from __future__ import annotations

import httpx
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from starter.review import submit_decision
from tests.conftest import sent_mail
from tests.helpers import start_for, wait_for_status
from tests.scripted_provider import ScriptedProvider, subject
from triage.domain.models import ReviewDecision, TriageStatus
from triage.mail.factory import build_mail_provider
from triage.runtime.config import Settings
from worker.judge import build_judge_worker
from worker.main import WORKFLOWS, workflow_runner, workflow_workers


def test_only_the_shared_setting_passes_the_workflows_package_through(settings):
    sandboxed = settings.model_copy(update={"workflow_sandbox": True})
    shared = workflow_runner(sandboxed.model_copy(update={"share_workflow_modules": True}))
    alone = workflow_runner(sandboxed.model_copy(update={"share_workflow_modules": False}))
    assert {w.__module__.split(".")[0] for w in WORKFLOWS} == {"workflows"}
    assert isinstance(shared, SandboxedWorkflowRunner) and isinstance(alone, SandboxedWorkflowRunner)
    assert "workflows" in shared.restrictions.passthrough_modules
    assert "workflows" not in alone.restrictions.passthrough_modules


def test_workflows_run_unsandboxed_unless_the_sandbox_is_asked_for(settings):
    assert not Settings.model_fields["workflow_sandbox"].default
    plain = settings.model_copy(update={"workflow_sandbox": False})
    assert isinstance(workflow_runner(plain), UnsandboxedWorkflowRunner)
    assert isinstance(
        workflow_runner(plain.model_copy(update={"workflow_sandbox": True})), SandboxedWorkflowRunner
    )


# No cache at all: every workflow task replays the history (as after an eviction), in the sandbox
# on the shared modules. Every other live test runs unsandboxed (the default), and the saved
# histories replay all three ways (tests/test_replay.py).
async def test_a_review_held_and_approved_on_the_shared_modules(dev_env, settings, control):
    settings = settings.model_copy(
        update={"max_cached_workflows": 0, "workflow_sandbox": True, "share_workflow_modules": True}
    )
    async with build_mail_provider(settings) as mail, httpx.AsyncClient() as http:
        workers = workflow_workers(dev_env.client, settings, mail=mail, http=http)
        async with workers, build_judge_worker(dev_env.client, settings, ScriptedProvider()):
            handle = await start_for(dev_env.client, settings, control, subject=subject("billing", 0.9))
            # Without a cache every query replays the history: slow on a loaded machine.
            state = await wait_for_status(handle, TriageStatus.AWAITING_REVIEW, timeout=90)
            outcome = await submit_decision(
                dev_env.client, handle.id, ReviewDecision(action="approve", revision=1, reviewer="ann")
            )
            assert (await handle.result()).status is TriageStatus.SENT
    assert outcome.status is TriageStatus.SENT
    assert [s["plain_body"] for s in await sent_mail(control)] == [state.draft_body]
