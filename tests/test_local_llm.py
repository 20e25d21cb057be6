"""The LLM path against a real model server: llama.cpp's server with SmolLM2-135M.

``tests/test_openai_provider.py`` drives the provider against our fake server,
which answers what we script. Here the answers come from a real, weak model
behind a real OpenAI-compatible server: structured output through a JSON-schema
grammar, real latencies, one server slot busy per request, and a model that is
wrong in ways we did not write. The assertions hold whatever the model says:
the schema, the time limits, the concurrency limit, and that the offline checks
overrule it (nothing unsafe goes out).

The server starts once a session (``local_llm`` in conftest.py); answers are
kept short (``max_tokens``) so the whole module stays within a minute of CI time.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest
from openai import AsyncOpenAI
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.llm import LlmActivities
from tests.cli_in_process import run_triage
from tests.conftest import running_worker, sent_mail
from tests.helpers import message, settled, start_for
from tests.replies import answered_reply
from tests.stub_kb import RESET, RESET_ANSWER, StubKb
from triage.domain.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    PolicySettings,
    TriageStatus,
)
from triage.domain.policy import decide
from triage.judging.kb import KB_MIN_SCORE
from triage.judging.local_server import LOCAL_MODEL, LocalModelServer
from triage.judging.openai_provider import OpenAIProvider
from triage.runtime.config import Settings

pytestmark = pytest.mark.local_llm

# A classification is about 120 tokens of JSON and a draft a few hundred: enough
# for the weak model, small enough that a rambling answer ends soon.
CLASSIFY_TOKENS = 220
DRAFT_TOKENS = 320
# One short article: a draft prompt of a few hundred tokens. With the packaged knowledge base
# (three articles a prompt) each draft costs the one-thread server ten times the CPU.
KB = StubKb([(RESET, KB_MIN_SCORE + 0.4)], answer=RESET_ANSWER)

INVITATIONS = (
    "How do I invite teammates? I sent three invitations yesterday and none of them arrived, even in spam."
)
EXPORT_CRASH = (
    "How do I export a CSV? Every time I click Export the app shows HTTP 500 and nothing downloads."
)


def provider_for(
    server: LocalModelServer,
    *,
    timeout: float = 120.0,
    max_tokens: int = DRAFT_TOKENS,
    requests: list[str] | None = None,
) -> OpenAIProvider:
    """The provider as the worker builds it, pointed at the local server; ``requests`` records each call."""
    settings = Settings(
        openai_base_url=server.base_url,
        classify_model=LOCAL_MODEL,
        draft_model=LOCAL_MODEL,
        llm_timeout_seconds=timeout,
        llm_max_tokens=max_tokens,
    )
    if requests is None:
        return OpenAIProvider.from_settings(settings, kb=KB)

    async def record(request: httpx.Request) -> None:
        requests.append(request.url.path)

    client = AsyncOpenAI(
        base_url=server.base_url,
        api_key="unused",
        max_retries=0,
        timeout=timeout,
        # openai 3 annotates httpx2 clients only; it still takes (and checks for) an httpx one at run time
        http_client=httpx.AsyncClient(event_hooks={"request": [record]}),  # type: ignore[arg-type]
    )
    return OpenAIProvider(client, LOCAL_MODEL, LOCAL_MODEL, KB, max_tokens)


async def classify_and_draft(
    provider: OpenAIProvider, inbound: InboundMessage
) -> tuple[Classification, DraftReply]:
    """The two LLM activities as the workflow runs them (offline checks included), then the provider closed."""
    activities = LlmActivities(provider)
    try:
        classification = await ActivityEnvironment().run(activities.classify, inbound)
        reply = await ActivityEnvironment().run(
            activities.draft_reply, DraftRequest(message=inbound, classification=classification)
        )
    finally:
        await provider.aclose()
    return classification, reply


async def busy_slots(server: LocalModelServer, http: httpx.AsyncClient) -> int:
    slots = (await http.get(f"{server.url}/slots")).json()
    return sum(1 for slot in slots if slot["is_processing"])


async def until_idle(server: LocalModelServer, timeout: float = 120) -> None:
    """llama.cpp finishes a request its client gave up on: wait until no slot works."""
    async with httpx.AsyncClient(timeout=10) as http, asyncio.timeout(timeout):
        while await busy_slots(server, http):
            await asyncio.sleep(0.1)


# --- structured output ----------------------------------------------------------------


async def test_classify_and_draft_parse_the_real_models_structured_output(local_llm: LocalModelServer):
    provider = provider_for(local_llm, max_tokens=CLASSIFY_TOKENS)
    try:
        result = await provider.classify(message("Password", "How do I reset my password?"))
    finally:
        await provider.aclose()
    assert result.category in set(Category)
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.language) == 2 and result.language.isalpha()  # the schema's pattern held
    assert result.usage is not None and result.usage.provider == "openai"
    assert result.usage.prompt_tokens > 100 and result.usage.completion_tokens > 10

    provider = provider_for(local_llm)
    draft_request = DraftRequest(
        message=message("Password", "How do I reset my password?"), classification=result
    )
    try:
        reply = await provider.draft(draft_request)
    finally:
        await provider.aclose()
    assert reply.body.strip()
    # Whatever ids the model names, only the article it was shown can be cited.
    assert {c.article_id for c in reply.citations} <= {RESET.id}
    assert reply.usage is not None and reply.usage.completion_tokens > 0


# --- time and concurrency limits ----------------------------------------------------------


async def test_the_time_limit_holds_against_a_real_server(local_llm: LocalModelServer):
    provider = provider_for(local_llm, timeout=0.05, max_tokens=16)
    try:
        with pytest.raises(ApplicationError) as caught:
            await provider.classify(message("Timeout", "Where can I find my invoices?"))
    finally:
        await provider.aclose()
    assert caught.value.type == "LlmTimeout" and not caught.value.non_retryable
    # The client gave up before the answer came (no timed assertion: the server shows it), and the
    # server did not: the abandoned request still holds its slot until it ends
    # (docs/self-hosted-models.md: why a time limit must exceed the slowest answer).
    async with httpx.AsyncClient(timeout=10) as http:
        assert await busy_slots(local_llm, http) == 1
    await until_idle(local_llm)


async def test_the_concurrency_limit_holds_with_two_server_slots(local_llm: LocalModelServer):
    """The server could answer two at once; LlmActivities(concurrency=1) lets one through at a time."""
    provider = provider_for(local_llm, max_tokens=CLASSIFY_TOKENS)
    activities = LlmActivities(provider, concurrency=1)
    seen: list[int] = []
    await until_idle(local_llm)
    async with httpx.AsyncClient(timeout=10) as http:

        async def watch() -> None:
            while True:
                seen.append(await busy_slots(local_llm, http))
                await asyncio.sleep(0.05)

        watcher = asyncio.create_task(watch())
        try:
            results = await asyncio.gather(
                *(
                    ActivityEnvironment().run(activities.classify, message(f"Question {n}", text))
                    for n, text in enumerate(("Where are my invoices?", "Which browsers do you support?"))
                )
            )
        finally:
            watcher.cancel()
            await provider.aclose()
    assert len(results) == 2
    assert max(seen) == 1  # busy, but never both slots


# --- a wrong model is overruled -------------------------------------------------------------


@pytest.mark.parametrize("body", [INVITATIONS, EXPORT_CRASH], ids=["problem-report", "bug-report"])
async def test_whatever_the_weak_model_says_a_problem_report_is_not_sent(
    local_llm: LocalModelServer, body: str
):
    """The model may call these routine with full confidence; the offline checks still hold them,
    even beside a reply that answers the question (the article it names is tested above)."""
    provider = provider_for(local_llm, max_tokens=CLASSIFY_TOKENS)
    try:
        classification = await ActivityEnvironment().run(
            LlmActivities(provider).classify, message("Help", body)
        )
    finally:
        await provider.aclose()
    assert GuardFlag.PROBLEM_REPORT in classification.guard_flags
    decision = decide(classification, answered_reply(), PolicySettings())
    assert not decision.auto_send and any("problem_report" in reason for reason in decision.reasons)


# --- malformed and cut-off answers ----------------------------------------------------------


async def test_a_cut_off_answer_is_asked_once_more_then_goes_to_review(local_llm: LocalModelServer):
    requests: list[str] = []
    provider = provider_for(local_llm, max_tokens=16, requests=requests)  # no classification fits
    classification, reply = await classify_and_draft(
        provider, message("Invoices", "Where can I download my invoices?")
    )
    # Two asks each (one more after the cut-off), then a human: no exception, so no Temporal retry loop.
    assert requests == ["/v1/chat/completions"] * 4
    assert GuardFlag.INVALID_OUTPUT in classification.guard_flags
    assert "finish_reason=length" in classification.reason
    assert not reply.grounded and not reply.citations  # the holding reply
    assert not decide(classification, reply, PolicySettings()).auto_send


# --- the server stops mid-run ------------------------------------------------------------------


def _completed(history, activity: str) -> int:
    scheduled = {
        e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    return sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and scheduled[e.activity_task_completed_event_attributes.scheduled_event_id] == activity
    )


@pytest.mark.slow
@pytest.mark.timeout(420)
async def test_the_server_stopped_mid_run_the_activity_retries_and_the_message_is_triaged_once(
    local_llm: LocalModelServer, dev_env, settings, control
):
    settings = settings.model_copy(update={"first_pass": False})  # every classification asks the model
    provider = provider_for(local_llm, max_tokens=CLASSIFY_TOKENS)
    async with running_worker(dev_env.client, settings, provider), httpx.AsyncClient(timeout=10) as http:
        handle = await start_for(
            dev_env.client,
            settings,
            control,
            subject="Invoices",
            plain_body="Where can I download my invoices?",
        )
        async with asyncio.timeout(60):
            while not await busy_slots(local_llm, http):  # the classification is being answered
                await asyncio.sleep(0.02)
        await asyncio.to_thread(local_llm.stop)
        try:
            async with asyncio.timeout(30):  # the attempt failed on the dropped connection; Temporal retries
                while not any(
                    a.attempt >= 2 for a in (await handle.describe()).raw_description.pending_activities
                ):
                    await asyncio.sleep(0.1)
        finally:
            await asyncio.to_thread(local_llm.start)  # the same port: the other tests' server again
        # Seconds on an idle machine; minutes on a shared one (the model's slots are the bottleneck).
        state = await settled(dev_env.client, handle, timeout=240)
        history = await handle.fetch_history()
    await provider.aclose()
    assert state.status in (TriageStatus.AWAITING_REVIEW, TriageStatus.AUTO_SENT)
    assert state.classification is not None
    assert GuardFlag.CLASSIFIER_ERROR not in state.classification.guard_flags  # the retry got an answer
    # Judged once: one activity classifies and drafts (the lean path), retried, never repeated.
    assert _completed(history, "judge") == 1 and _completed(history, "classify") == 0
    # Saved once: for review, or reserved, saved and sent in one activity.
    assert _completed(history, "save_draft") + _completed(history, "reply_alone") == 1
    assert len(await sent_mail(control)) <= 1


# --- triage llm check -----------------------------------------------------------------------------


def _triage(*args: str) -> subprocess.CompletedProcess:
    """``triage ARGS`` in this process (``tests/cli_in_process.py``), with a bare environment."""
    return run_triage(
        args, {"PATH": "/usr/bin:/bin", "TRIAGE_LLM_MAX_TOKENS": "400", "HOME": "/tmp"}, Path.cwd()
    )


def test_llm_check_against_the_local_server(local_llm: LocalModelServer):
    done = _triage("llm", "check", "--base-url", local_llm.base_url, "--model", LOCAL_MODEL)
    assert done.returncode == 0, done.stderr
    assert f"models       {LOCAL_MODEL}" in done.stdout
    assert "json_schema  honoured" in done.stdout  # the grammar held, whatever the model chose
    assert "s for one classification" in done.stdout

    wrong = _triage("llm", "check", "--base-url", local_llm.base_url, "--model", "gpt-4o-mini")
    assert wrong.returncode == 1
    assert wrong.stderr.strip().count("\n") == 0 and "TRIAGE_CLASSIFY_MODEL" in wrong.stderr
    assert LOCAL_MODEL in wrong.stderr


def test_llm_check_names_what_to_change_when_nothing_answers():
    from triage.runtime.asgi_server import free_port

    done = _triage("llm", "check", "--base-url", f"http://127.0.0.1:{free_port()}/v1", "--model", "m")
    assert done.returncode == 3
    assert done.stderr.strip().count("\n") == 0 and "OPENAI_BASE_URL" in done.stderr
