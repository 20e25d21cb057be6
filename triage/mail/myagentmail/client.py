"""An httpx client for the myagentmail REST API, answering in its wire shapes.

Errors come out as the provider-neutral ``triage.mail.errors``, already
classified: a permanent 4xx is ``MailRejected`` and not retryable (retrying a
403 "inbox paused" changes nothing), a 404 is ``MailNotFound``, 429 carries
the server's Retry-After, 5xx and transport errors are retryable. The caller
(Temporal, through the activities) owns the retries, so this client never loops.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from triage.mail.errors import (
    MailBadResponse,
    MailError,
    MailNotFound,
    MailRateLimited,
    MailRejected,
    MailUnavailable,
    MailUnreachable,
)
from triage.mail.myagentmail.schema import (
    Draft,
    DraftPage,
    Inbox,
    MailMessage,
    MessagePage,
    SendResult,
    Thread,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

_MAX_RETRY_AFTER = timedelta(minutes=10)


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP-date: let Temporal's backoff decide
    if math.isnan(seconds):
        return None
    # Clamped before the timedelta: "inf" or "1e400" would overflow it.
    return timedelta(seconds=min(max(seconds, 0.0), _MAX_RETRY_AFTER.total_seconds()))


def error_for_response(response: httpx.Response) -> MailError:
    """Map a non-2xx answer to a classified mail error."""
    try:
        payload = response.json()
        detail = str(payload.get("error") or "")[:300]
        code = str(payload.get("code") or "")[:60]
    except (ValueError, AttributeError):
        detail, code = response.text[:300], ""
    status = response.status_code
    message = f"myagentmail {response.request.method} {response.request.url.path} -> {status}"
    if code:
        message += f" {code}"
    if detail:
        message += f": {detail}"
    if status == 429:
        return MailRateLimited(message, retry_after=_retry_after(response), status=status, code=code)
    if status >= 500:
        return MailUnavailable(message, status=status, code=code)
    if status == 404:
        return MailNotFound(message, status=status, code=code)
    # 408 and 409 may clear on a retry; the other 4xx, and redirects
    # (a wrong base URL), will not.
    return MailRejected(message, retryable=status in (408, 409), status=status, code=code)


class MailClient:
    """Talks to one myagentmail account. Use as an async context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"X-API-Key": api_key, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        model: type[ModelT] | None,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> ModelT | None:
        try:
            response = await self._http.request(method, path.lstrip("/"), json=json, params=params)
        except httpx.TimeoutException as exc:
            raise MailUnreachable(f"myagentmail {method} {path}: timed out") from exc
        except httpx.TransportError as exc:
            raise MailUnreachable(f"myagentmail {method} {path}: {type(exc).__name__}") from exc
        if not response.is_success:
            # 3xx too: a redirect (a proxy's login page, http -> https) is no answer.
            raise error_for_response(response)
        if model is None:
            return None
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            # A garbled answer from a healthy-looking server is usually a proxy
            # or a deploy in progress: worth a retry, bounded by the policy.
            raise MailBadResponse(
                f"myagentmail {method} {path}: unexpected response shape ({exc.error_count()} errors)"
            ) from exc

    async def _get(self, path: str, model: type[ModelT], **params: Any) -> ModelT:
        clean = {k: v for k, v in params.items() if v is not None}
        result = await self._request("GET", path, model, params=clean)
        assert result is not None
        return result

    async def _send(self, method: str, path: str, model: type[ModelT], body: dict[str, Any]) -> ModelT:
        result = await self._request(method, path, model, json=body)
        assert result is not None
        return result

    # Inboxes and messages

    async def get_inbox(self, inbox_id: str) -> Inbox:
        return await self._get(f"inboxes/{inbox_id}", Inbox)

    async def list_messages(
        self,
        inbox_id: str,
        *,
        direction: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> MessagePage:
        return await self._get(
            f"inboxes/{inbox_id}/messages",
            MessagePage,
            direction=direction,
            limit=limit,
            offset=offset,
        )

    async def iter_messages(
        self, inbox_id: str, *, direction: str | None = None, page_size: int = 50, max_pages: int
    ) -> AsyncIterator[list[MailMessage]]:
        """Pages of messages, newest first, until exhausted or ``max_pages``."""
        offset = 0
        for _ in range(max_pages):
            page = await self.list_messages(inbox_id, direction=direction, limit=page_size, offset=offset)
            if not page.messages:
                return
            yield page.messages
            offset += len(page.messages)
            if page.pagination.total and offset >= page.pagination.total:
                return

    async def get_message(self, inbox_id: str, message_id: str) -> MailMessage:
        return await self._get(f"inboxes/{inbox_id}/messages/{message_id}", MailMessage)

    async def get_thread(self, inbox_id: str, thread_id: str) -> Thread:
        return await self._get(f"inboxes/{inbox_id}/threads/{thread_id}", Thread)

    # Drafts

    async def create_draft(
        self,
        inbox_id: str,
        *,
        to: list[str],
        subject: str,
        plain_body: str,
        reply_to_message_id: str | None = None,
        html_body: str | None = None,
    ) -> Draft:
        body = {"to": to, "subject": subject, "plainBody": plain_body}
        if html_body is not None:
            body["htmlBody"] = html_body
        if reply_to_message_id:
            body["replyToMessageId"] = reply_to_message_id
        return await self._send("POST", f"inboxes/{inbox_id}/drafts", Draft, body)

    async def list_drafts(self, inbox_id: str, *, limit: int = 50, offset: int = 0) -> DraftPage:
        return await self._get(f"inboxes/{inbox_id}/drafts", DraftPage, limit=limit, offset=offset)

    async def get_draft(self, inbox_id: str, draft_id: str) -> Draft:
        return await self._get(f"inboxes/{inbox_id}/drafts/{draft_id}", Draft)

    async def update_draft(
        self, inbox_id: str, draft_id: str, *, plain_body: str, html_body: str | None = None
    ) -> Draft:
        body = {"plainBody": plain_body}
        if html_body is not None:
            body["htmlBody"] = html_body
        return await self._send("PATCH", f"inboxes/{inbox_id}/drafts/{draft_id}", Draft, body)

    async def send_draft(self, inbox_id: str, draft_id: str) -> SendResult:
        return await self._send("POST", f"inboxes/{inbox_id}/drafts/{draft_id}/send", SendResult, {})

    async def delete_draft(self, inbox_id: str, draft_id: str) -> None:
        await self._request("DELETE", f"inboxes/{inbox_id}/drafts/{draft_id}", None)

    # Direct sends (the workflow always goes through drafts; these serve tools)

    async def reply(self, inbox_id: str, message_id: str, *, plain_body: str) -> SendResult:
        return await self._send(
            "POST", f"inboxes/{inbox_id}/reply/{message_id}", SendResult, {"plainBody": plain_body}
        )
