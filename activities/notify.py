"""Reviewer notifications: a Slack incoming webhook, or a log line without one.

A failed notification raises so that Temporal retries it; the workflow keeps
the review pending whatever happens here (the dashboard lists it anyway).
"""

from __future__ import annotations

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from triage.models import Notification

_HEADLINES = {
    "review_requested": ":envelope_with_arrow: Review needed",
    "reminder": ":alarm_clock: Review overdue",
    "expired": ":warning: Review expired without a decision",
}


def review_url(public_url: str, workflow_id: str) -> str:
    return f"{public_url.rstrip('/')}/reviews/{workflow_id}"


def slack_blocks(notification: Notification, link: str) -> dict:
    """Block Kit message. Email text is untrusted: Slack mrkdwn control
    characters are escaped so a subject cannot forge links or mentions."""

    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    category = notification.category.value if notification.category else "unknown"
    confidence = (
        f"{notification.confidence:.0%}" if notification.confidence is not None else "n/a"
    )
    headline = _HEADLINES.get(notification.kind, notification.kind)
    fields = [
        f"*Category:* {category} ({confidence})",
        f"*From:* {esc(notification.from_address)}",
        f"*Subject:* {esc(notification.subject) or '(no subject)'}",
        f"*Draft revision:* {notification.revision}",
    ]
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f">{esc(notification.snippet)}"}},
    ]
    if notification.reasons:
        reasons = "; ".join(notification.reasons)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": esc(reasons)[:2000]}]}
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open review"},
                    "url": link,
                    "style": "primary",
                }
            ],
        }
    )
    text = f"{headline}: {notification.subject[:80]} ({category}) {link}"
    return {"text": text, "blocks": blocks}


class NotifyActivities:
    def __init__(
        self, http: httpx.AsyncClient, webhook_url: str | None, public_url: str
    ) -> None:
        self._http = http
        self._webhook_url = webhook_url
        self._public_url = public_url

    @activity.defn
    async def notify_reviewer(self, notification: Notification) -> None:
        link = review_url(self._public_url, notification.workflow_id)
        if not self._webhook_url:
            activity.logger.info(
                "%s: %s (revision %d) %s",
                notification.kind,
                notification.workflow_id,
                notification.revision,
                link,
            )
            return
        try:
            response = await self._http.post(
                self._webhook_url, json=slack_blocks(notification, link), timeout=10.0
            )
        except httpx.TransportError as exc:
            raise ApplicationError(f"slack webhook: {type(exc).__name__}") from exc
        if response.is_error:
            # The webhook URL is a secret: report the status, never the URL.
            raise ApplicationError(
                f"slack webhook answered {response.status_code}",
                non_retryable=response.status_code in (400, 403, 404, 410),
            )
