"""Reviewer notifications: a Slack incoming webhook, or a log line without one.

A failed notification raises so that Temporal retries it; the workflow keeps
the review pending whatever happens here (the dashboard lists it anyway).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from triage.domain.autonomy import ModeChange
from triage.domain.escaping import escape_within
from triage.domain.models import Notification

notify_log = logging.getLogger(__name__)

_HEADLINES = {
    "review_requested": ":envelope_with_arrow: Review needed",
    "reminder": ":alarm_clock: Review overdue",
    "expired": ":warning: Review expired without a decision",
}

# Slack's limits (Block Kit reference): a message over any of them is rejected whole.
HEADER_CHARS = 150  # header block text
FIELD_CHARS = 2000  # each section field
SECTION_CHARS = 3000  # section text, context elements
TEXT_CHARS = 4000  # top-level fallback text (Slack truncates past 40,000; keep it short)
BUTTON_TEXT_CHARS = 75
URL_CHARS = 3000

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def slack_escape(text: str, limit: int | None = None) -> str:
    """Untrusted text for Slack: ``&``, ``<`` and ``>`` escaped as Slack asks, so
    ``<!channel>``, ``<@U123>`` and ``<url|text>`` are shown, never acted on.

    With ``limit``, the *escaped* text fits it: cut on whole characters (never
    inside ``&amp;``) and marked with an ellipsis.
    """
    return escape_within(_CONTROL.sub(" ", text), lambda char: _ESCAPES.get(char, char), limit)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def review_url(public_url: str, workflow_id: str) -> str:
    return f"{public_url.rstrip('/')}/reviews/{workflow_id}"


def slack_blocks(notification: Notification, link: str) -> dict[str, Any]:
    """Block Kit message. Email text is untrusted: every piece of it is escaped
    (``slack_escape``) and every field fits Slack's limits, so a subject can
    neither forge links or mentions nor make Slack refuse the alert."""
    category = notification.category.value if notification.category else "unknown"
    confidence = f"{notification.confidence:.0%}" if notification.confidence is not None else "n/a"
    headline = _HEADLINES.get(notification.kind, notification.kind)
    subject = _one_line(notification.subject) or "(no subject)"

    def field(label: str, value: str) -> dict[str, Any]:
        prefix = f"*{label}:* "
        return {"type": "mrkdwn", "text": prefix + slack_escape(value, FIELD_CHARS - len(prefix))}

    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _one_line(headline)[:HEADER_CHARS]}},
        {
            "type": "section",
            "fields": [
                field("Category", f"{category} ({confidence})"),
                field("From", _one_line(notification.from_address)),
                field("Subject", subject),
                field("Draft revision", str(notification.revision)),
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ">" + slack_escape(_one_line(notification.snippet) or "(empty)", SECTION_CHARS - 1),
            },
        },
    ]
    if notification.reasons:
        reasons = "; ".join(notification.reasons)
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": slack_escape(reasons, SECTION_CHARS)}],
            }
        )
    if len(link) <= URL_CHARS:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open review"[:BUTTON_TEXT_CHARS]},
                        "url": link,
                        "style": "primary",
                    }
                ],
            }
        )
    # The fallback text (notifications, screen readers) is mrkdwn too: escaped, the link included.
    text = f"{slack_escape(headline)}: {slack_escape(subject, 80)} ({category}) {slack_escape(link)}"
    return {"text": text[:TEXT_CHARS], "blocks": blocks}


def mode_change_message(change: ModeChange, link: str) -> dict[str, Any]:
    """A promotion or demotion: the scope, the modes and why (a reviewer's words escaped)."""
    icon = ":rocket:" if change.new == "auto" else ":eyes:"
    text = (
        f"{icon} Autonomy: `{slack_escape(change.scope, 200)}` {change.old} → {change.new} "
        f"({change.source}) by {slack_escape(change.by, 200)}: {slack_escape(_one_line(change.why), SECTION_CHARS - 600)}"
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if len(link) <= URL_CHARS:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(link)}]})
    return {"text": text[:TEXT_CHARS], "blocks": blocks}


class NotifyActivities:
    def __init__(self, http: httpx.AsyncClient, webhook_url: str | None, public_url: str) -> None:
        self._http = http
        self._webhook_url = webhook_url
        self._public_url = public_url

    @activity.defn
    async def notify_reviewer(self, notification: Notification) -> None:
        link = review_url(self._public_url, notification.workflow_id)
        if not self._webhook_url:
            # One line: what, which, its category and why it waits (the activity logger would append
            # its whole context dict; the workflow id says it all).
            notify_log.info(
                "%s: %s, %s, %s (revision %d) %s",
                notification.kind,
                notification.workflow_id,
                notification.category.value if notification.category else "no category",
                notification.reasons[0] if notification.reasons else "no reason given",
                notification.revision,
                link,
            )
            return
        await self._post(slack_blocks(notification, link))

    @activity.defn
    async def notify_mode_change(self, change: ModeChange) -> None:
        link = f"{self._public_url.rstrip('/')}/autonomy"
        if not self._webhook_url:
            activity.logger.info(
                "autonomy: %s %s -> %s (%s): %s",
                change.scope,
                change.old,
                change.new,
                change.source,
                change.why,
            )
            return
        await self._post(mode_change_message(change, link))

    async def _post(self, message: dict[str, Any]) -> None:
        assert self._webhook_url is not None
        try:
            response = await self._http.post(self._webhook_url, json=message, timeout=10.0)
        except httpx.TransportError as exc:
            raise ApplicationError(f"slack webhook: {type(exc).__name__}") from exc
        if response.is_error:
            # The webhook URL is a secret: report the status, never the URL.
            raise ApplicationError(
                f"slack webhook answered {response.status_code}",
                non_retryable=response.status_code in (400, 403, 404, 410),
            )
