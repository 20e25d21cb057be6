"""``triage llm check``: does this OpenAI-compatible server do what the provider needs?

Self-hosted servers (Ollama, vLLM, llama.cpp's server) differ in what they
honour. The check asks the server what the provider will ask, once: the model
list, then one classification with our response schema, exactly as
``OpenAIProvider`` sends it. It reports the latency and whether the answer
kept to the schema, and, when something fails, the one setting to change.
"""

from __future__ import annotations

import json
import time
from enum import IntEnum

import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from triage.domain.models import InboundMessage
from triage.judging.openai_schema import ClassificationOutput
from triage.judging.prompts import classify_messages

SAMPLE = InboundMessage(
    message_id="llm-check",
    inbox_id="check",
    from_address="customer@example.org",
    reply_address="customer@example.org",
    subject="Password reset",
    plain_body="Hello, how do I reset my password? Thanks, Sam",
    body_chars=46,
)
NO_JSON_SCHEMA = (
    "the server does not honour response_format json_schema: use llama.cpp's llama-server, "
    "Ollama 0.5 or later, or vLLM with guided decoding (see docs/self-hosted-models.md)"
)


class Outcome(IntEnum):
    """The exit code each outcome maps to (the CLI's: 0 ok, 1 refused, 3 unreachable)."""

    OK = 0
    FAILED = 1
    UNREACHABLE = 3


class CheckReport(BaseModel):
    base_url: str
    model: str
    models: list[str] = []
    outcome: Outcome = Outcome.OK
    latency_seconds: float | None = None
    json_schema: bool | None = None  # None: the round trip did not get that far
    finish_reason: str | None = None
    category: str | None = None
    advice: str | None = None  # one line: what to change


def _failed(report: CheckReport, advice: str, outcome: Outcome = Outcome.FAILED) -> CheckReport:
    return report.model_copy(update={"outcome": outcome, "advice": advice})


async def check_server(
    base_url: str, model: str, *, api_key: str | None, timeout: float, max_tokens: int
) -> CheckReport:
    report = CheckReport(base_url=base_url, model=model)
    async with AsyncOpenAI(
        base_url=base_url, api_key=api_key or "unused", max_retries=0, timeout=timeout
    ) as client:
        try:
            report.models = sorted([m.id async for m in client.models.list()])
        except openai.APIConnectionError:
            return _failed(
                report,
                f"nothing answers at {base_url}: start the server, or set OPENAI_BASE_URL "
                "(--base-url) to where it listens",
                Outcome.UNREACHABLE,
            )
        except openai.AuthenticationError:
            return _failed(report, "the server wants an API key: set OPENAI_API_KEY")
        except openai.APIStatusError as err:
            if err.status_code != 404:  # a server without /models can still answer chats
                return _failed(
                    report,
                    f"GET /models answered HTTP {err.status_code}: is {base_url} an "
                    "OpenAI-compatible base URL (usually ending in /v1)?",
                )
        if report.models and model not in report.models:
            return _failed(
                report,
                f"the server has no model {model!r}: set TRIAGE_CLASSIFY_MODEL and "
                f"TRIAGE_DRAFT_MODEL to one of {', '.join(report.models)}",
            )
        return await _round_trip(client, report, max_tokens, timeout)


async def _round_trip(
    client: AsyncOpenAI, report: CheckReport, max_tokens: int, timeout: float
) -> CheckReport:
    started = time.monotonic()
    try:
        raw = await client.chat.completions.with_raw_response.parse(
            model=report.model,
            messages=classify_messages(SAMPLE),  # type: ignore[arg-type]
            response_format=ClassificationOutput,
            max_completion_tokens=max_tokens,
        )
    except openai.APITimeoutError:
        return _failed(
            report,
            f"no answer within {timeout:g} s: raise TRIAGE_LLM_TIMEOUT, or use a smaller model "
            "or faster hardware",
            Outcome.UNREACHABLE,
        )
    except openai.APIConnectionError:
        return _failed(
            report, "the connection dropped during the answer: is the server restarting?", Outcome.UNREACHABLE
        )
    except openai.APIStatusError as err:
        if err.status_code in (400, 422, 500, 501):
            return _failed(
                report.model_copy(update={"json_schema": False}),
                f"HTTP {err.status_code} to a structured-output request: {NO_JSON_SCHEMA}",
            )
        return _failed(report, f"the chat request failed with HTTP {err.status_code}")
    report.latency_seconds = round(time.monotonic() - started, 3)
    try:
        choice = json.loads(raw.text)["choices"][0]
        content = choice["message"].get("content") or ""
        report.finish_reason = choice.get("finish_reason")
    except (ValueError, LookupError, TypeError, AttributeError):
        return _failed(report, "the answer is not a chat completion: is this an OpenAI-compatible server?")
    if report.finish_reason == "length":
        return _failed(report, f"the answer was cut off at {max_tokens} tokens: raise TRIAGE_LLM_MAX_TOKENS")
    try:
        output = ClassificationOutput.model_validate_json(content)
    except ValidationError:
        return _failed(report.model_copy(update={"json_schema": False}), NO_JSON_SCHEMA)
    return report.model_copy(update={"json_schema": True, "category": output.category.value})
