"""The CLI's table and argument handling, without a stack (see test_cli_live for the real runs)."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from rich.console import Console

from starter.cli.app import _take_flag
from starter.cli.review_table import natural_width, review_rows, reviews_table
from starter.review import ReviewSummary, workflow_id_of
from tests.live_stack import REPO, TRIAGE
from triage.domain.models import Category, InboundMessage, PolicyDecision, TriageState, TriageStatus

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def summary(i: int, category: Category) -> ReviewSummary:
    return ReviewSummary(
        workflow_id=f"triage-msg_{i:024x}",
        status=TriageStatus.AWAITING_REVIEW,
        category=category,
        confidence=0.5 + i / 100,
        reviewer=None,
        inbox_id="support",
        started_at=NOW - timedelta(hours=i),
        closed_at=None,
    )


def state(s: ReviewSummary, subject: str) -> TriageState:
    return TriageState(
        workflow_id=s.workflow_id,
        status=TriageStatus.AWAITING_REVIEW,
        message=InboundMessage(
            message_id=s.workflow_id.removeprefix("triage-"),
            inbox_id="support",
            from_address=f"Someone With A Long Name <someone.with.a.long.address{s.workflow_id[-2:]}@example.org>",
            subject=subject,
        ),
        started_at=s.started_at,
        policy_decision=PolicyDecision(
            auto_send=False, reasons=["category feature_request always goes to review", "second reason"]
        ),
        review_started_at=s.started_at,
    )


def rendered(width: int, *, with_states: bool = True) -> list[str]:
    page = [summary(i, c) for i, c in enumerate([Category.FEATURE_REQUEST, Category.BUG, Category.FAQ] * 3)]
    subjects = ["Feature request: a dark mode for the dashboard, please, we all work late", "", "Hi"]
    states = {s.workflow_id: state(s, subjects[i % 3]) for i, s in enumerate(page)} if with_states else {}
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(reviews_table(review_rows(page, states, NOW), width, with_status=False))
    lines = console.export_text().splitlines()
    assert all(s.workflow_id.removeprefix("triage-") in "\n".join(lines) for s in page), "an id was cut"
    assert max(len(line) for line in lines) <= width
    return lines


@pytest.mark.parametrize("width", [40, 60, 80, 100, 120, 160, 240])
def test_the_table_fits_and_never_cuts_an_id(width: int):
    lines = rendered(width)
    assert len(lines) == 1 + 9, "one line per review"


def test_the_columns_that_matter_go_last():
    wide = rendered(240)[0].split()
    assert wide[:2] == ["id", "category"] and {"age", "from", "subject", "why", "conf."} <= set(wide)
    # 80 columns: id, sender, subject and the main reason stay, shortened; the rest goes first.
    narrow = rendered(80)
    assert narrow[0].split() == ["id", "from", "subject", "why", "it", "waits"]
    assert "someone.with" in narrow[1] and "Feature request" in narrow[1] and "category feat" in narrow[1]
    assert "…" in narrow[1], "shortened, not dropped"
    assert rendered(60)[0].split() == ["id", "subject", "why", "it", "waits"]
    assert rendered(30)[0].split() == ["id"]


def test_wide_shows_every_column_whole():
    page = [summary(i, c) for i, c in enumerate([Category.FEATURE_REQUEST, Category.BUG])]
    states = {s.workflow_id: state(s, "Feature request: a dark mode for the dashboard, please") for s in page}
    rows = review_rows(page, states, NOW)
    width = natural_width(rows, with_status=False)
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(reviews_table(rows, width, with_status=False))
    text = console.export_text()
    assert "…" not in text
    assert (
        "someone.with.a.long.address00@example.org" in text
        and "category feature_request always goes to review" in text
    )


def test_rows_say_what_the_mail_is_and_why_it_waits():
    lines = rendered(240)
    assert "someone.with.a.long.address" in lines[1] and "Feature request: a dark mode" in lines[1]
    assert "category feature_request always goes to review" in lines[1] and "second reason" not in lines[1]
    assert "(no subject)" in lines[2]
    assert lines[1].split()[2] == "0s" and lines[2].split()[2] == "1h"


def test_without_a_worker_rows_show_what_visibility_knows():
    lines = rendered(120, with_states=False)
    assert "feature_request" in lines[1]


def test_ids_and_flags():
    assert workflow_id_of("msg_abc") == workflow_id_of("triage-msg_abc") == "triage-msg_abc"
    assert workflow_id_of(" msg_abc\n") == "triage-msg_abc"
    argv = ["show", "--debug", "msg_1", "--", "--debug"]
    assert _take_flag(argv, "--debug") and argv == ["show", "msg_1", "--", "--debug"]
    assert not _take_flag(argv, "--debug")


def test_bad_settings_are_a_usage_error_in_one_line():
    done = subprocess.run(
        [TRIAGE, "reviews"],
        env={**os.environ, "TRIAGE_CONFIDENCE_THRESHOLD": "abc"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("triage: invalid Settings: TRIAGE_CONFIDENCE_THRESHOLD: ")
    assert done.stderr.count("\n") == 1
