"""Helpers the test modules share: start a triage, run the watcher, call the reviewer API,
check a reply's text, build a provider's input. Fixtures are in ``tests/conftest.py``."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
from pydantic import SecretStr
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle

from starter.api import create_app
from starter.review import get_state
from starter.start import start_triage
from starter.watcher import InboxWatcher
from tests.conftest import inbound, running_worker, sent_mail
from tests.scripted_provider import subject
from triage.domain.contracts import workflow_id_for
from triage.domain.models import InboundMessage, ReviewSettings, TriageState, TriageStatus
from triage.judging.base import TriageProvider
from triage.mail.factory import build_mail_provider
from triage.runtime.asgi_server import serving
from triage.runtime.config import Settings

# Only the type hints name scipy: imported at run time, every test module that imports
# these helpers would pay for it.
if TYPE_CHECKING:
    import scipy.sparse as sp

# ---- workflows ---------------------------------------------------------------------------


async def received(control, settings: Settings, **fields) -> InboundMessage:
    """A message put into the emulator's inbox, as the watcher would read it."""
    created = await inbound(control, **fields)
    async with build_mail_provider(settings) as mail:
        return await mail.get_message(settings.inbox_id, created["message_id"])


async def start(
    client: Client, settings: Settings, message: InboundMessage, review: ReviewSettings | None = None
) -> WorkflowHandle:
    handle = await start_triage(
        client,
        message,
        task_queue=settings.temporal_task_queue,
        policy=settings.policy_settings(),
        review=review or settings.review_settings(),
    )
    assert handle is not None
    return handle


async def start_for(client: Client, settings: Settings, control, **fields: Any) -> WorkflowHandle:
    """Post an inbound message (``fields``: its subject, body, ``from``...) and start its triage;
    ``review=ReviewSettings(...)`` instead of the settings' own."""
    review: ReviewSettings | None = fields.pop("review", None)
    return await start(client, settings, await received(control, settings, **fields), review)


async def held_for_review(
    client: Client, settings: Settings, control, **fields: Any
) -> tuple[InboundMessage, WorkflowHandle]:
    """A message (``fields`` as for ``received``) triaged until it waits for a human, which is
    asserted: the open review a conversation's next message meets."""
    message = await received(control, settings, **fields)
    handle = await start(client, settings, message)
    assert (await settled(client, handle)).status is TriageStatus.AWAITING_REVIEW
    return message, handle


async def in_thread(control, settings: Settings, first: InboundMessage, **fields: Any) -> InboundMessage:
    """The next message of ``first``'s thread ("Re: " its subject), as the watcher would read it."""
    return await received(
        control, settings, subject=f"Re: {first.subject}", thread_id=first.thread_id, **fields
    )


async def triaged(client: Client, settings: Settings, message: InboundMessage) -> TriageState:
    """Start ``message``'s triage and return its state once it waits for a human or has finished."""
    return await settled(client, await start(client, settings, message))


async def scheduled_and_markers(handle: WorkflowHandle) -> tuple[list[str], list[str]]:
    """The activities a workflow scheduled and the markers it recorded, in order."""
    events = [event async for event in handle.fetch_history_events()]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    return scheduled, markers


async def settled(client: Client, handle: WorkflowHandle, timeout: float = 30.0) -> TriageState:
    """The state once the workflow waits for a human or has finished."""
    async with asyncio.timeout(timeout):
        while True:
            state = await get_state(client, handle.id)
            if state.status is TriageStatus.AWAITING_REVIEW or state.status.is_terminal:
                return state
            await asyncio.sleep(0.1)


async def wait_for_status(handle: WorkflowHandle, status: TriageStatus, timeout: float = 20.0):
    async with asyncio.timeout(timeout):
        while True:
            state = await get_state(handle._client, handle.id)
            if state.status is status:
                return state
            await asyncio.sleep(0.1)


# ---- the inbox watcher -------------------------------------------------------------------


@asynccontextmanager
async def running_watcher(client: Client, settings: Settings) -> AsyncIterator[InboxWatcher]:
    stop = asyncio.Event()
    async with build_mail_provider(settings) as mail:
        watcher = InboxWatcher(client, mail, settings)
        task = asyncio.create_task(watcher.run(stop))
        async with asyncio.timeout(15):
            await watcher.ready.wait()
        try:
            yield watcher
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def workflow_ids(client: Client, task_queue: str) -> list[str]:
    return [
        w.id
        async for w in client.list_workflows(
            f'TaskQueue = "{task_queue}" AND WorkflowType = "SupportTriageWorkflow"'
        )
    ]


async def wait_for_workflows(
    client: Client, task_queue: str, expected: set[str], timeout: float = 30.0
) -> list[str]:
    async with asyncio.timeout(timeout):
        while True:
            ids = await workflow_ids(client, task_queue)
            if expected <= set(ids):
                return ids
            await asyncio.sleep(0.25)


async def answered_exactly_once(
    client: Client, settings: Settings, control, count: int, timeout: float
) -> None:
    """Put ``count`` routine questions (one sender each) into the inbox and check that each
    started one workflow and got one reply; the watchers and workers are the caller's."""
    created = [
        await inbound(control, subject=subject("faq", 0.95, text=f"q{i}"), **{"from": f"c{i}@example.org"})
        for i in range(count)
    ]
    expected = {workflow_id_for(c["message_id"]) for c in created}
    ids = await wait_for_workflows(client, settings.temporal_task_queue, expected)
    async with asyncio.timeout(timeout):
        while len(await sent_mail(control)) < count:
            await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # time for a second start or a second reply to show
    assert sorted(ids) == sorted(expected)
    sent = await sent_mail(control)
    assert Counter(s["in_reply_to"] for s in sent) == Counter(c["message_id"] for c in created)


# ---- the reviewer API and dashboard ------------------------------------------------------


# Alice is an admin (she may change autonomy modes), Bob a reviewer (today's name:token form).
REVIEWERS = SecretStr("alice:tok-a:admin,bob:tok-b")
ALICE = {"Authorization": "Bearer tok-a"}


@asynccontextmanager
async def api(settings: Settings, client: Client | None) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(create_app(settings, client)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        yield http


@asynccontextmanager
async def dashboard(
    client: Client, settings: Settings, provider: TriageProvider | None = None
) -> AsyncIterator[str]:
    """A worker (judging with ``provider``, else the scripted one) and the reviewer API and
    dashboard, served: their base URL."""
    async with running_worker(client, settings, provider), serving(create_app(settings, client)) as base:
        yield base


async def state_of(http: httpx.AsyncClient, workflow_id: str) -> dict:
    response = await http.get(f"/api/reviews/{workflow_id}", headers=ALICE)
    assert response.status_code == 200, response.text
    return response.json()


@asynccontextmanager
async def child_process(args: list[str], ready_url: str, **popen: Any) -> AsyncIterator[subprocess.Popen]:
    """A program in a subprocess, yielded once ``ready_url`` answers 200; stopped at the end
    (SIGTERM, then SIGKILL after 15 s)."""
    process = subprocess.Popen(args, **popen)  # noqa: ASYNC220 - starting returns at once
    try:
        async with httpx.AsyncClient(timeout=2) as http, asyncio.timeout(60):
            while True:
                if process.poll() is not None:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise RuntimeError(f"{args[0]} stopped while starting: {output[-2000:]}")
                try:
                    if (await http.get(ready_url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def csrf_token(page: str) -> str:
    """The CSRF token of a dashboard form (the login page, a review page)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


# ---- a reply's text ----------------------------------------------------------------------


MARKDOWN = [
    re.compile(r"\*\*"),
    re.compile(r"__"),
    re.compile(r"\[[^\]]*\]\([^)]*\)"),
    re.compile(r"(?m)^#{1,6}\s"),
]
UNSAFE_TAGS = {"script", "style", "iframe", "object", "embed", "img", "link", "meta", "form"}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def unsafe(html: str) -> list[str]:
    """What a browser would run or load: script/style elements, event attributes, script URLs."""
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag in UNSAFE_TAGS:
            problems.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                problems.append(f"{tag} {name}")
            if name in ("href", "src") and (value or "").strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                problems.append(f"{tag} {name}={value}")
    return problems


def assert_clean(plain: str, html: str) -> None:
    for pattern in MARKDOWN:
        assert not pattern.search(plain), (pattern.pattern, plain)
    assert unsafe(html) == [], html


# ---- a provider's input ------------------------------------------------------------------


def message(
    subject: str = "Password help", body: str = "How do I reset my password?", **fields: Any
) -> InboundMessage:
    """A message from Ann to the support inbox; ``fields`` replace any other field."""
    addressed = {"message_id": "msg_1", "inbox_id": "support", "from_address": "Ann <ann@example.org>"}
    return InboundMessage(**(addressed | fields), subject=subject, plain_body=body, body_chars=len(body))


def text_message(body: str, subject: str = "", **fields: Any) -> InboundMessage:
    """Nothing but the text, from a@example.org: the input of the model and guard tests."""
    return message(
        subject, body, **({"message_id": "m", "inbox_id": "i", "from_address": "a@example.org"} | fields)
    )


def valid_classification(**overrides: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "category": "billing",
        "confidence": 0.87,
        "language": "de",
        "sentiment": "negative",
        "urgency": "high",
        "reason": "Customer disputes a charge.",
        "guard_flags": ["money", "urgent"],
        "reports_problem": False,
    }
    answer.update(overrides)
    return answer


def eval_json(folder: Path, rows: list[Any]) -> dict[str, Any]:
    """``triage eval FILE --json --show-unsafe`` on these eval rows, run as a program."""
    data = folder / "rows.jsonl"
    data.write_text("".join(row.model_dump_json() + "\n" for row in rows))
    out = subprocess.run(
        [sys.executable, "-m", "starter.cli", "eval", str(data), "--json", "--show-unsafe"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


HISTORY_DIR = Path(__file__).parent / "histories"


async def save_history(handle: WorkflowHandle, name: str) -> None:
    """With TRIAGE_SAVE_HISTORIES=1, write the replay test's history ``name`` if it is missing.

    Never over one that exists: most were written before some gate (``auto_sent.json``
    before all of them) and replay its old side; today's code would write the new one.
    To refresh a history, delete it first, knowing which gate's old side it held."""
    path = HISTORY_DIR / f"{name}.json"
    if os.environ.get("TRIAGE_SAVE_HISTORIES") and not path.exists():
        HISTORY_DIR.mkdir(exist_ok=True)
        history = await handle.fetch_history()
        path.write_text(history.to_json())


def same_matrix(ours: sp.csr_matrix, theirs: sp.csr_matrix) -> bool:
    """The same sparse matrix, stored the same way (so sums over a row round the same)."""
    return (
        ours.shape == theirs.shape
        and np.array_equal(ours.indptr, theirs.indptr)
        and np.array_equal(ours.indices, theirs.indices)
        and np.array_equal(ours.data, theirs.data)
    )
