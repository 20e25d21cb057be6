"""Facts written once and used everywhere: when a review is closed, and how
untrusted text is escaped and cut to fit (Slack and the Web UI's Markdown)."""

from __future__ import annotations

import pytest
from temporalio.service import RPCError, RPCStatusCode

from activities.notify import slack_escape
from starter.review import review_closed
from triage.domain.escaping import ELLIPSIS, escape_within
from triage.domain.inbound import markdown_text


@pytest.mark.parametrize(
    ("status", "message", "closed"),
    [
        (RPCStatusCode.NOT_FOUND, "workflow execution already completed", True),
        (RPCStatusCode.NOT_FOUND, "sql: no rows in result set", False),  # no such workflow
        (RPCStatusCode.NOT_FOUND, "workflow not found for ID: triage-msg_x", False),
        (RPCStatusCode.FAILED_PRECONDITION, "workflow execution already completed", False),
        (RPCStatusCode.UNAVAILABLE, "connection refused", False),
    ],
)
def test_a_review_is_closed_only_when_temporal_says_the_workflow_finished(status, message, closed):
    assert review_closed(RPCError(message, status, b"")) is closed


def _double(char: str) -> str:
    return char * 2 if char == "&" else char


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abc", None, "abc"),
        ("a&b", None, "a&&b"),
        ("a&b", 4, "a&&b"),  # fits exactly: no ellipsis
        ("abcdef", 4, "abc" + ELLIPSIS),
        ("a&b", 3, "a" + ELLIPSIS),  # never half an escape
        ("&&&", 4, "&&" + ELLIPSIS),
        ("abc", 1, ELLIPSIS),
        ("", 5, ""),
    ],
)
def test_escape_within_cuts_on_whole_escaped_characters(text, limit, expected):
    result = escape_within(text, _double, limit)
    assert result == expected
    assert limit is None or len(result) <= limit


def test_slack_and_markdown_use_the_one_cut():
    assert slack_escape("<&>" * 10, 10) == escape_within(
        "<&>" * 10, lambda c: {"<": "&lt;", "&": "&amp;", ">": "&gt;"}[c], 10
    )
    assert markdown_text("a*b_c" * 20, 12) == escape_within(
        "a*b_c" * 20, lambda c: "\\" + c if c in "*_" else c, 12
    )
