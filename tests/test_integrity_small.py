"""The smaller findings of issue 27, each through the real stack.

Made-up article scopes and a flood of scopes, the flag endpoint given another
workflow's id, a lone surrogate sent to the mail emulator, and the mail API
key in the watcher's DEBUG log: a real dev server, the emulator over real
sockets, a real worker, the reviewer API, and the watcher as a process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import triage.domain.autonomy.rules
from starter.retraining import start_retrain
from tests.conftest import inbound, running_worker
from tests.helpers import ALICE, REVIEWERS, api
from triage.judging.gate import RetrainRequest
from triage.runtime.logsafe import REDACTED

pytestmark = pytest.mark.slow

TRIAGE = str(Path(sys.executable).with_name("triage"))


async def set_mode(http: httpx.AsyncClient, scope: str) -> httpx.Response:
    return await http.post("/api/autonomy/modes", headers=ALICE, json={"scope": scope, "mode": "shadow"})


async def test_article_scopes_must_exist_and_are_capped(dev_env, settings, monkeypatch):
    settings = settings.model_copy(update={"reviewers": REVIEWERS})
    async with running_worker(dev_env.client, settings), api(settings, dev_env.client) as http:
        made_up = [
            await set_mode(http, scope)
            for scope in ("article:does-not-exist-zz", "article:..", "category:vip")
        ]
        real = await set_mode(http, "article:password-reset")
        # The workflow reads it where too_many_scopes is defined (passed through the sandbox).
        monkeypatch.setattr(triage.domain.autonomy.rules, "MAX_OVERRIDES", 2)
        second = await set_mode(http, "category:billing")
        over = await set_mode(http, "article:invoices")
        again = await set_mode(http, "category:billing")  # a scope that has a mode already may change it
        book = (await http.get("/api/autonomy", headers=ALICE)).json()
    assert [r.status_code for r in made_up] == [422, 422, 422], [r.text for r in made_up]
    assert "no article 'does-not-exist-zz' in the knowledge base" in made_up[0].json()["detail"]
    assert real.status_code == 200 and second.status_code == 200
    assert over.status_code == 422 and "at most 2" in over.json()["detail"], over.text
    assert again.status_code == 200
    assert "article:invoices" not in str(book) and "does-not-exist" not in str(book)


async def test_the_flag_endpoint_checks_the_workflow_type_first(dev_env, settings):
    settings = settings.model_copy(update={"reviewers": REVIEWERS})
    async with running_worker(dev_env.client, settings), api(settings, dev_env.client) as http:
        retrain = await start_retrain(dev_env.client, settings.temporal_task_queue, RetrainRequest())
        report = await retrain.result()
        answer = await http.post(f"/api/reviews/{retrain.id}/flag", headers=ALICE, json={})
    assert answer.status_code == 409 and answer.json()["kind"] == "NotFlaggable", answer.text
    assert "not a triage" in answer.json()["detail"]
    assert report.note not in answer.text and "in_force" not in answer.text  # nothing of its result


async def test_the_emulator_answers_400_to_unencodable_text(mailsim, control):
    surrogate = '"Hello \\ud800 there"'  # valid JSON, not encodable as UTF-8
    headers = {"x-api-key": mailsim.api_key, "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=mailsim.base_url, headers=headers, timeout=30) as rest:
        sent = await rest.post(
            f"/inboxes/{mailsim.inbox_id}/send",
            content=f'{{"to": ["ann@example.org"], "subject": "Hi", "plainBody": {surrogate}}}',
        )
        draft = await rest.post(f"/inboxes/{mailsim.inbox_id}/drafts", content=f'{{"subject": {surrogate}}}')
        fine = await rest.post(
            f"/inboxes/{mailsim.inbox_id}/drafts", content='{"subject": "Hello \\ud83d\\ude00"}'
        )
    posted = await control.post(
        "/_sim/inbound",
        content=f'{{"from": "ann@example.org", "plain_body": {surrogate}}}',
        headers={"content-type": "application/json"},
    )
    for answer in (sent, draft, posted):
        assert answer.status_code == 400, answer.text
        assert "not valid Unicode" in answer.text
    assert fine.status_code == 201  # a surrogate pair is an ordinary character (an emoji)


async def test_no_secret_in_the_watchers_debug_log(dev_env, mailsim, control, task_queue, tmp_path):
    """At DEBUG, websockets logs every handshake header: the X-API-Key line is redacted."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEMPORAL_", "MYAGENTMAIL_", "TRIAGE_", "OPENAI_"))
    }
    env.update(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=task_queue,
        MYAGENTMAIL_BASE_URL=mailsim.base_url,
        MYAGENTMAIL_WS_URL=mailsim.ws_url,
        MYAGENTMAIL_API_KEY=mailsim.api_key,
        SUPPORT_INBOX_ID=mailsim.inbox_id,
        TRIAGE_LOG_LEVEL="DEBUG",
    )
    log = tmp_path / "watcher.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            TRIAGE, "watch", env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while "subscribed to message.received" not in log.read_text(errors="replace"):
                assert process.returncode is None and time.monotonic() < deadline, log.read_text(
                    errors="replace"
                )
                await asyncio.sleep(0.2)
            await inbound(control, subject="Hello", plain_body="How do I reset my password?")  # more lines
            await asyncio.sleep(2)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), timeout=20)
    output = log.read_text(errors="replace")
    assert "X-API-Key: " + REDACTED in output  # the handshake line is there, without the key
    assert mailsim.api_key not in output
