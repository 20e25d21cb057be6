"""A local OpenAI-compatible chat-completions server for tests and benchmarks.

A real HTTP server (FastAPI + uvicorn in this process, on a free port) so the
provider is exercised through the real ``openai`` client: serialisation,
status-code mapping, headers and timeouts all happen for real.

Each request takes the next queued ``FakeReply`` if there is one, otherwise a
"smart-ish" answer: a schema-valid classification or draft picked by keywords,
good enough to stand in for an LLM in end-to-end tests::

    async with fake_openai() as llm:
        llm.enqueue(FakeReply.rate_limited(retry_after=3), FakeReply.server_error())
        client = AsyncOpenAI(base_url=llm.base_url, api_key=llm.api_key, max_retries=0)
        ...
        assert "<email>" in llm.requests[-1].user_prompt

Standalone (e.g. a slow LLM for benchmarks)::

    python -m triage.dev.fake_openai --port 8799 --delay 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from triage.judging.prompts import ARTICLE_TAG, EMAIL_TAG, INSTRUCTIONS_TAG
from triage.runtime.asgi_server import serving

DEFAULT_API_KEY = "fake-openai-key"


@dataclass
class FakeReply:
    """One scripted answer. ``status`` != 200 answers with an OpenAI error body."""

    status: int = 200
    content: str | None = None  # None with status 200: the smart answer
    refusal: str | None = None
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    model: str | None = None  # defaults to the requested model
    error_code: str | None = None

    @classmethod
    def json(cls, payload: Any, **kw: Any) -> FakeReply:
        return cls(content=json.dumps(payload), **kw)

    @classmethod
    def text(cls, content: str, **kw: Any) -> FakeReply:
        """Raw content, e.g. invalid JSON."""
        return cls(content=content, **kw)

    @classmethod
    def refused(cls, reason: str = "I can't help with that.") -> FakeReply:
        return cls(refusal=reason, content=None)

    @classmethod
    def rate_limited(cls, retry_after: float | None = None) -> FakeReply:
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        return cls(status=429, headers=headers, error_code="rate_limit_exceeded")

    @classmethod
    def server_error(cls, status: int = 500) -> FakeReply:
        return cls(status=status, error_code="server_error")

    @classmethod
    def error(cls, status: int, code: str | None = None) -> FakeReply:
        return cls(status=status, error_code=code)

    @classmethod
    def slow(cls, seconds: float) -> FakeReply:
        """The smart answer, after ``seconds`` (longer than a client timeout)."""
        return cls(delay=seconds)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    def _content(self, role: str) -> str:
        return "\n".join(
            str(m.get("content", "")) for m in self.body.get("messages", []) if m.get("role") == role
        )

    @property
    def system_prompt(self) -> str:
        return self._content("system")

    @property
    def user_prompt(self) -> str:
        return self._content("user")

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON schema the client asked for ({} without structured output)."""
        response_format = self.body.get("response_format") or {}
        return (response_format.get("json_schema") or {}).get("schema") or {}


class FakeOpenAI:
    """State of one fake server; mutate it from the test while it runs."""

    def __init__(self, *, delay: float = 0.0, api_key: str | None = DEFAULT_API_KEY) -> None:
        self.delay = delay  # applied to every request (a slow LLM)
        self.api_key = api_key  # None: accept any key
        self.base_url = ""  # set once serving, ends in /v1
        self.replies: deque[FakeReply] = deque()
        self.requests: list[RecordedRequest] = []
        # Set on shutdown so sleeping handlers end at once instead of holding uvicorn.
        self._closing = asyncio.Event()
        self._count = 0

    def enqueue(self, *replies: FakeReply) -> None:
        self.replies.extend(replies)

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat_completions(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(RecordedRequest(request.url.path, dict(request.headers), body))
            if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
                # Before the queue: a rejected call must not use up a scripted reply.
                return _error(401, "invalid_api_key", "Incorrect API key provided.")
            reply = self.replies.popleft() if self.replies else FakeReply()
            await self._sleep(self.delay + reply.delay)
            if reply.status != 200:
                return _error(reply.status, reply.error_code, "scripted failure", reply.headers)
            return JSONResponse(self._completion(body, reply), headers=reply.headers)

        @app.get("/_fake/requests")
        async def request_count() -> dict[str, int]:
            """How many requests came (for a fake in a process of its own, as the benchmarks run it)."""
            return {"count": len(self.requests)}

        return app

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            try:
                await asyncio.wait_for(self._closing.wait(), seconds)
            except TimeoutError:
                pass

    def _completion(self, body: dict[str, Any], reply: FakeReply) -> dict[str, Any]:
        self._count += 1
        request = RecordedRequest("", {}, body)
        content = reply.content
        if content is None and reply.refusal is None:
            content = json.dumps(smart_answer(request))
        prompt_chars = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        completion_chars = len(content or reply.refusal or "")
        return {
            "id": f"chatcmpl-fake-{self._count}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": reply.refusal},
                    "finish_reason": reply.finish_reason,
                    "logprobs": None,
                }
            ],
            # Roughly four characters a token: enough for usage accounting tests.
            "usage": {
                "prompt_tokens": prompt_chars // 4 + 1,
                "completion_tokens": completion_chars // 4 + 1,
                "total_tokens": prompt_chars // 4 + completion_chars // 4 + 2,
            },
        }


def _error(
    status: int, code: str | None, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers or {})


# --- the smart-ish answer ---------------------------------------------------

_CATEGORY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (
        "billing",
        ("invoice", "refund", "charged", "charge", "billing", "payment", "subscription", "receipt", "price"),
    ),
    ("bug", ("error", "crash", "bug", "broken", "not working", "doesn't work", "fails", "exception")),
    ("feature_request", ("feature", "would be great", "please add", "could you add", "suggestion", "wish")),
    ("faq", ("how do i", "how can i", "how to", "where can i", "reset my password", "password")),
]
_FLAG_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (
        "prompt_injection",
        ("ignore previous instructions", "ignore all previous", "system prompt", "you are now"),
    ),
    ("money", ("refund", "chargeback", "money back", "compensation")),
    ("legal", ("lawyer", "lawsuit", "legal action", "gdpr")),
    ("negative_sentiment", ("angry", "terrible", "unacceptable", "furious", "worst")),
    ("urgent", ("urgent", "asap", "immediately")),
    ("security", ("hacked", "breach", "phishing", "compromised")),
    ("data_loss", ("lost all", "data loss", "deleted my", "disappeared")),
]
_PROBLEM_WORDS = ("never arrive", "didn't work", "still not", "not working", "third time")
_LANGUAGE_WORDS = {
    "de": (" ich ", " und ", " nicht ", " bitte "),
    "fr": (" je ", " et ", " pas ", " merci "),
    "es": (" yo ", " gracias ", " por favor ", " pero "),
}


def _between(text: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return match.group(1) if match else ""


def smart_answer(request: RecordedRequest) -> dict[str, Any]:
    """A schema-valid answer for whichever output the request's schema asks for."""
    prompt = request.user_prompt
    email = (_between(prompt, EMAIL_TAG) or prompt).lower()
    if "body" in request.schema.get("properties", {}):
        return _smart_draft(prompt)
    category, confidence = "general", 0.55
    for name, words in _CATEGORY_WORDS:
        if any(word in email for word in words):
            category, confidence = name, 0.9
            break
    flags = [flag for flag, words in _FLAG_WORDS if any(word in email for word in words)]
    padded = f" {' '.join(email.split())} "
    language = next(
        (lang for lang, words in _LANGUAGE_WORDS.items() if sum(w in padded for w in words) >= 2), "en"
    )
    return {
        "category": category,
        "confidence": confidence,
        "language": language,
        "sentiment": "negative" if "negative_sentiment" in flags else "neutral",
        "urgency": "high" if "urgent" in flags else "normal",
        "reason": f"keyword match: {category}",
        "guard_flags": flags,
        "reports_problem": any(word in email for word in _PROBLEM_WORDS),
    }


def _smart_draft(prompt: str) -> dict[str, Any]:
    articles = re.findall(rf'<{ARTICLE_TAG} id="([^"]+)">(.*?)</{ARTICLE_TAG}>', prompt, re.DOTALL)
    revised = "\n\n(Revised as requested.)" if _between(prompt, INSTRUCTIONS_TAG).strip() else ""
    if not articles:
        body = (
            "Hello,\n\nThank you for your message. A teammate will follow up with you shortly."
            f"{revised}\n\nBest regards,\nThe support team"
        )
        return {"body": body, "used_article_ids": [], "grounded": False, "answering_article_id": None}
    article_id, text = articles[0]
    lines = [line for line in text.strip().splitlines() if line and not line.startswith(("Title:", "URL:"))]
    summary = lines[0] if lines else "Please see the article below."
    body = f"Hello,\n\nThanks for reaching out. {summary}{revised}\n\nBest regards,\nThe support team"
    return {
        "body": body,
        "used_article_ids": [article_id],
        "grounded": True,
        "answering_article_id": article_id,
    }


@asynccontextmanager
async def fake_openai(
    *, delay: float = 0.0, api_key: str | None = DEFAULT_API_KEY, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[FakeOpenAI]:
    """Serve a ``FakeOpenAI`` until the block exits."""
    fake = FakeOpenAI(delay=delay, api_key=api_key)
    async with serving(fake.app(), host=host, port=port) as base:
        fake.base_url = f"{base}/v1"
        try:
            yield fake
        finally:
            fake._closing.set()


async def _main(port: int, delay: float, host: str) -> None:
    async with fake_openai(delay=delay, api_key=None, host=host, port=port) as fake:
        print(f"fake OpenAI at {fake.base_url} (delay {delay}s, any API key)", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    args = parser.parse_args()
    try:
        asyncio.run(_main(args.port, args.delay, args.host))
    except KeyboardInterrupt:
        pass
