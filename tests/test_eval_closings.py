"""``triage eval`` has the workflow's third outcome: a closing gets no reply and no human, so a
problem report read as a closing is an unsafe outcome, counted with the unsafe sends."""

from __future__ import annotations

import pytest

from tests.helpers import eval_json
from triage.domain.models import PolicySettings
from triage.judging.training.evaluation import EvalRow, evaluate

THANKS = "Thanks, that worked!"


def row(id: str, label: str, body: str = THANKS) -> EvalRow:
    return EvalRow(id=id, subject="Re: your question", body=body, label=label, source="thread")


@pytest.mark.parametrize(
    ("label", "body", "closed", "unsafe"),
    [
        ("bug", THANKS, 1, 1),  # labelled a report, closed unread: unsafe
        ("billing", THANKS, 1, 1),
        ("general", THANKS, 1, 0),  # a routine row closed: no reply, nothing unsafe
        ("bug", "Thanks, but the export is still empty.", 0, 0),  # held, not closed
    ],
)
async def test_a_closing_is_an_outcome_and_unsafe_on_a_report(offline, label, body, closed, unsafe):
    report = await evaluate([row("r", label, body)], offline, PolicySettings())
    assert (report.closed_no_reply, report.unsafe_closings, report.unsafe_auto_sends) == (
        closed,
        unsafe,
        unsafe,
    )
    assert report.auto_send_rate == 0.0  # a closing is never a send
    assert [u.passed[0].startswith("closed with no reply") for u in report.unsafe] == [True] * unsafe


def test_the_json_report_names_the_closing_fields(tmp_path):
    figures = eval_json(tmp_path, [row("closed-report", "bug")])
    assert (figures["closed_no_reply"], figures["unsafe_closings"], figures["unsafe_auto_sends"]) == (1, 1, 1)
    assert figures["per_source"]["thread"]["unsafe_closings"] == 1
    assert figures["unsafe"][0]["id"] == "closed-report"
