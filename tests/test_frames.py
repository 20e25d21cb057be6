"""Socket frame parsing and inbound conversion: strict, and never crashing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.domain.inbound import MAX_PLAIN_CHARS, skip_reason
from triage.mail.myagentmail.convert import from_event
from triage.mail.myagentmail.frames import EventFrame, FrameError, PingFrame, parse_frame

EVENT: dict[str, Any] = {
    "type": "event",
    "event_type": "message.received",
    "event_id": "evt_1",
    "message": {
        "inbox_id": "support",
        "message_id": "msg_1",
        "thread_id": "thr_1",
        "from": "Ann <ann@example.org>",
        "to": ["support@acme-help.test"],
        "subject": "Hi",
        "plain_body": "Hello",
        "html_body": None,
        "timestamp": "2026-11-23T10:00:00Z",
    },
    "thread": {"thread_id": "thr_1", "subject": "Hi"},
}


def test_event_frame_parses():
    frame = parse_frame(json.dumps(EVENT))
    assert isinstance(frame, EventFrame)
    message = from_event(frame.message)
    assert message.message_id == "msg_1" and message.from_address == "Ann <ann@example.org>"
    assert message.received_at.year == 2026


def test_ping_parses():
    assert isinstance(parse_frame('{"type": "ping"}'), PingFrame)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "[1, 2]",
        "null",
        '{"type": "nope"}',
        '{"no_type": 1}',
        json.dumps({**EVENT, "message": {**EVENT["message"], "message_id": ""}}),
        json.dumps({**EVENT, "message": {"inbox_id": "x"}}),
        b"\xff\xfe\x00",
    ],
)
def test_malformed_frames_raise_frame_error(raw):
    with pytest.raises(FrameError):
        parse_frame(raw)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_input_parses_or_raises_frame_error(raw):
    try:
        parse_frame(raw)
    except FrameError:
        pass


@given(
    st.dictionaries(
        st.sampled_from(["type", "event_type", "message", "event_id", "inboxId", "email"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3)),
    )
)
def test_any_json_object_parses_or_raises_frame_error(data):
    try:
        parse_frame(json.dumps(data))
    except FrameError:
        pass


def test_html_only_and_huge_bodies_are_bounded():
    frame = parse_frame(
        json.dumps(
            {
                **EVENT,
                "message": {
                    **EVENT["message"],
                    "plain_body": "",
                    "html_body": "<p>Where are <b>your</b> opening hours?</p><script>alert(1)</script>",
                },
            }
        )
    )
    message = from_event(frame.message)
    assert "opening hours" in message.plain_body and "alert" not in message.plain_body
    huge = from_event(frame.message.model_copy(update={"plain_body": "x" * (MAX_PLAIN_CHARS * 3)}))
    assert huge.truncated and len(huge.plain_body) == MAX_PLAIN_CHARS
    assert huge.body_chars == MAX_PLAIN_CHARS * 3


@pytest.mark.parametrize(
    ("sender", "subject", "skipped"),
    [
        ("support@acme-help.test", "Re: your ticket", True),
        ("Support <SUPPORT@acme-help.test>", "hello", True),
        ("MAILER-DAEMON@mx.example.org", "Undelivered Mail Returned to Sender", True),
        ("ann@example.org", "Automatic reply: on holiday", True),
        ("ann@example.org", "Out of Office: back Monday", True),
        ("ann@example.org", "Abwesenheitsnotiz", True),
        ("ann@example.org", "Question about the out of office feature", False),
        ("ann@example.org", "How do I reset my password?", False),
    ],
)
def test_skip_reason(sender, subject, skipped):
    assert (skip_reason(sender, subject, {"support@acme-help.test"}) is not None) is skipped
