"""Every REST call under ``/v1`` passes the gate: latency, injected faults, then the API key."""

import asyncio
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from triage.mail.sim.errors import error_response
from triage.mail.sim.faults import Faults
from triage.mail.sim.records import Inbox
from triage.mail.sim.store import Store


def presented_key(headers: Any, query: Any, *, allow_query: bool) -> str:
    key = headers.get("x-api-key") or ""
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if not key and scheme.lower() == "bearer":
        key = token.strip()
    if not key and allow_query:
        key = query.get("api_key") or ""
    return key


def authenticate(store: Store, key: str) -> Inbox | None:
    """The inbox a key belongs to (every key ever configured on this db file stays valid)."""
    return store.inbox_for_key(key) if key else None


def _is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class V1Gate:
    """Latency, injected failures, then auth, for every REST call under ``/v1``.

    An ASGI middleware rather than a dependency so that it also covers unknown
    routes and bodies that do not parse: a real gateway answers 401 before it
    looks at either. An injected failure is decided before the call runs, so it
    never has side effects.
    """

    def __init__(self, app: ASGIApp, store: Store, faults: Faults) -> None:
        self.app, self.store, self.faults = app, store, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_v1(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.faults.latency_seconds:
            await asyncio.sleep(self.faults.latency_seconds)
        failure = self.faults.rest_failure()
        if failure is not None:
            response = error_response(
                failure.status, failure.code, "injected fault (mailsim)", failure.headers
            )
            await response(scope, receive, send)
            return
        request = Request(scope)
        inbox = authenticate(
            self.store, presented_key(request.headers, request.query_params, allow_query=False)
        )
        if inbox is None:
            await error_response(401, "UNAUTHORIZED", "missing or invalid API key")(scope, receive, send)
            return
        scope.setdefault("state", {})["key_inbox"] = inbox
        await self.app(scope, receive, send)
