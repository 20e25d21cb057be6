"""A local Slack incoming-webhook stand-in: records what it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from triage.runtime.asgi_server import serving


@dataclass
class SlackReceiver:
    url: str = ""
    messages: list[dict] = field(default_factory=list)
    fail_next: int = 0


@asynccontextmanager
async def slack_webhook() -> AsyncIterator[SlackReceiver]:
    receiver = SlackReceiver()

    async def hook(request: Request) -> PlainTextResponse:
        if receiver.fail_next > 0:
            receiver.fail_next -= 1
            return PlainTextResponse("rate limited", status_code=500)
        receiver.messages.append(await request.json())
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/services/T000/B000/XXXX", hook, methods=["POST"])])
    async with serving(app) as base:
        receiver.url = f"{base}/services/T000/B000/XXXX"
        yield receiver
