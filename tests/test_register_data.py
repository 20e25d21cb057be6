"""The written GitHub-issue and IT-ticket registers: generated from their parts, big enough,
varied, and every slot filled."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from triage.judging.training import generate_registers
from triage.judging.training.training_data import Example, load_examples


@pytest.fixture(scope="module")
def written() -> dict[str, list[Example]]:
    rows: dict[str, list[Example]] = {}
    for example in load_examples():
        rows.setdefault(example.source, []).append(example)
    return rows


def test_the_files_are_what_their_parts_generate():
    # Edit issue_parts.toml or ticket_parts.toml without running
    # `python -m triage.judging.training.generate_registers` and this fails.
    folder = generate_registers.data_folder()
    for name, text in generate_registers.generated().items():
        assert (folder / name).read_text(encoding="utf-8") == text, name


def test_issues_cover_every_label_in_hundreds(written):
    issues = written[generate_registers.ISSUE_FILE.removesuffix(".jsonl")]
    labels = Counter(e.label.value for e in issues)
    assert len(issues) >= 300
    assert set(labels) == {"general", "bug", "feature_request"} and min(labels.values()) >= 100
    assert {e.style for e in issues} == {"issue"}


def test_tickets_cover_every_label_and_four_languages(written):
    tickets = written[generate_registers.TICKET_FILE.removesuffix(".jsonl")]
    assert len(tickets) >= 200
    assert set(Counter(e.label.value for e in tickets)) == {"general", "bug", "billing", "feature_request"}
    languages = Counter(e.lang for e in tickets)
    assert set(languages) == {"en", "de", "fr", "es"} and min(languages.values()) >= 20


@pytest.mark.parametrize("name", [generate_registers.ISSUE_FILE, generate_registers.TICKET_FILE])
def test_rows_are_distinct_and_fully_filled(written, name):
    rows = written[name.removesuffix(".jsonl")]
    assert len({e.body for e in rows}) == len(rows)
    slot = re.compile(
        r"\{(project|version|previous|component|goal|fault|wish|error|product|ticket|charge|ask|short|amount|invoice|users|team|since|company)(_cap)?\}"
    )
    unfilled = [e.subject for e in rows if slot.search(e.subject + e.body)]
    assert not unfilled, unfilled[:3]


def test_the_same_error_is_quoted_under_different_labels(written):
    # A stack trace alone must not decide: a question and a bug report quote the same ones.
    issues = written[generate_registers.ISSUE_FILE.removesuffix(".jsonl")]
    fenced = re.compile(r"```\n(.+?)\n", re.S)
    labels_by_error: dict[str, set[str]] = {}
    for e in issues:
        for error in fenced.findall(e.body):
            labels_by_error.setdefault(error, set()).add(e.label.value)
    assert sum(len(labels) > 1 for labels in labels_by_error.values()) >= 10
