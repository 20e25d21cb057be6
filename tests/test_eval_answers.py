"""The answer key in ``triage eval``: wrong answers are unsafe sends, and answer
coverage counts only replies that cite an article the key lists."""

from __future__ import annotations

import pytest

from tests.helpers import eval_json
from triage.domain.models import PolicySettings
from triage.judging.training.evaluation import EvalRow, evaluate

QUESTION = "How do I reset my password?"


def row(id: str, answers: list[str] | None, label: str = "general", body: str = QUESTION) -> EvalRow:
    return EvalRow(id=id, body=body, label=label, source="key", answers=answers)


async def test_the_demo_question_goes_out_with_the_reset_article(offline):
    report = await evaluate([row("plain", None)], offline, PolicySettings())
    assert report.auto_send_rate == 1.0, "the rows below rely on this question being sent"


@pytest.mark.parametrize(
    ("answers", "wrong", "coverage"),
    [
        (["password-reset"], 0, 1.0),  # the right article
        (["account-locked", "password-reset"], 0, 1.0),  # any listed article is right
        (["newsletter"], 1, 0.0),  # another article: a wrong answer
        ([], 1, 0.0),  # no article answers it, yet it was answered
        (None, 0, 0.0),  # not keyed: not counted either way
    ],
)
async def test_an_automatic_reply_is_checked_against_the_key(offline, answers, wrong, coverage):
    report = await evaluate([row("r", answers)], offline, PolicySettings())
    assert report.wrong_answers == wrong
    assert report.wrong_answer_rate == (1.0 if wrong else 0.0)
    assert report.answer_coverage == coverage
    assert [u.expected for u in report.unsafe] == ([answers] if wrong else [])


async def test_rates_divide_by_keyed_sends_and_answerable_rows(offline):
    rows = [
        row("right", ["password-reset"]),
        row("wrong", ["newsletter"]),
        row("held", ["newsletter"], body="I reset my password twice and the email never arrives."),
        row("unkeyed", None),
    ]
    report = await evaluate(rows, offline, PolicySettings())
    assert (report.wrong_answers, report.wrong_answer_rate) == (1, 0.5)  # 1 of 2 keyed sends
    assert report.answer_coverage == pytest.approx(1 / 3)  # 1 of 3 rows with a non-empty key
    assert report.per_source["key"].wrong_answers == 1


def test_the_json_report_names_the_answer_fields(tmp_path):
    figures = eval_json(tmp_path, [row("wrong", ["newsletter"])])
    assert (figures["wrong_answers"], figures["wrong_answer_rate"], figures["answer_coverage"]) == (
        1,
        1.0,
        0.0,
    )
    assert figures["per_source"]["key"]["wrong_answers"] == 1
    assert figures["unsafe"][0]["expected"] == ["newsletter"]
