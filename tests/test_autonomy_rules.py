"""The earned-autonomy rules (triage.domain.autonomy): pure, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from triage.domain.autonomy import (
    AutonomyBook,
    AutonomySettings,
    FlagReport,
    ModeRequest,
    Verdict,
    VerdictReport,
    mode_in_force,
    record_flag,
    record_verdict,
    rows,
    set_mode,
    verdict_for,
)
from triage.domain.models import AutonomyMode, Category, ModeSource, TriageStatus

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SHADOW = AutonomySettings(default_mode=AutonomyMode.SHADOW)
AUTO, REVIEW, SHADOW_MODE = AutonomyMode.AUTO, AutonomyMode.REVIEW, AutonomyMode.SHADOW


def report(
    n: int,
    verdict: Verdict = Verdict.AGREE,
    article: str | None = "password-reset",
    *,
    settings=SHADOW,
    category: Category = Category.FAQ,
    mode: AutonomyMode = SHADOW_MODE,
) -> VerdictReport:
    return VerdictReport(
        inbox_id="support",
        workflow_id=f"triage-{n}",
        category=category,
        article_id=article,
        mode=mode,
        verdict=verdict,
        reviewer="alice",
        settings=settings,
    )


def flag(n: int, article: str | None = "password-reset", settings=SHADOW) -> FlagReport:
    return FlagReport(
        inbox_id="support",
        workflow_id=f"triage-flag-{n}",
        category=Category.FAQ,
        article_id=article,
        by="bob",
        why="she had tried that",
        settings=settings,
    )


@pytest.mark.parametrize(
    ("settings", "article", "expected", "source"),
    [
        (AutonomySettings(), "a1", AUTO, ModeSource.DEFAULT),  # the seed's behaviour
        (SHADOW, "a1", SHADOW_MODE, ModeSource.CONFIG),
        (AutonomySettings(categories={Category.FAQ: REVIEW}), "a1", REVIEW, ModeSource.CONFIG),
        (
            AutonomySettings(categories={Category.FAQ: REVIEW}, articles={"a1": AUTO}),
            "a1",
            AUTO,
            ModeSource.CONFIG,
        ),
        (
            AutonomySettings(default_mode=SHADOW_MODE, categories={Category.FAQ: AUTO}),
            None,
            AUTO,
            ModeSource.CONFIG,
        ),
        (
            AutonomySettings(default_mode=SHADOW_MODE, articles={"a2": AUTO}),
            "a1",
            SHADOW_MODE,
            ModeSource.CONFIG,
        ),
    ],
)
def test_the_mode_in_force_is_the_articles_then_the_categorys_then_the_default(
    settings, article, expected, source
):
    found = mode_in_force(None, settings, Category.FAQ, article)
    assert (found.mode, found.source) == (expected, source)


def test_an_article_is_promoted_after_enough_agreeing_shadow_verdicts_and_not_before():
    book = AutonomyBook()
    for n in range(29):
        assert record_verdict(book, report(n), T0) == []
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is SHADOW_MODE
    (change,) = record_verdict(book, report(29), T0)
    assert (change.scope, change.old, change.new, change.source) == (
        "article:password-reset",
        SHADOW_MODE,
        AUTO,
        ModeSource.PROMOTED,
    )
    assert "30 of 30" in change.why
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is AUTO
    # Other articles of the category still wait: each earns its own way out.
    assert mode_in_force(book, SHADOW, Category.FAQ, "billing-dates").mode is SHADOW_MODE
    # The default never promotes a whole category.
    assert mode_in_force(book, SHADOW, Category.FAQ, None).mode is SHADOW_MODE


@pytest.mark.parametrize(
    ("agree", "disagree", "promoted"),
    [(29, 1, False), (33, 1, True), (32, 1, False), (30, 0, True), (100, 4, False)],
)
def test_promotion_needs_the_agree_rate(agree, disagree, promoted):
    book = AutonomyBook()
    verdicts = [Verdict.EDITED] * disagree + [
        Verdict.AGREE
    ] * agree  # disagreements first: promotion cannot come early
    for n, verdict in enumerate(verdicts):
        record_verdict(book, report(n, verdict), T0)
    assert (mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is AUTO) is promoted


@pytest.mark.parametrize("verdict", [Verdict.EXPIRED, Verdict.AUTO_SENT])
def test_no_verdict_counts_neither_way(verdict):
    book = AutonomyBook()
    for n in range(40):
        record_verdict(book, report(n, verdict), T0)
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is SHADOW_MODE


def test_one_flag_demotes_at_once_and_the_old_record_does_not_promote_it_back():
    book = AutonomyBook()
    for n in range(30):
        record_verdict(book, report(n), T0)
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is AUTO
    (change,) = record_flag(book, flag(1), T0 + timedelta(hours=1))
    assert (change.new, change.source, change.by) == (SHADOW_MODE, ModeSource.DEMOTED, "bob")
    assert "she had tried that" in change.why
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is SHADOW_MODE
    # 30 earlier agreements do not count again: the article earns its way back from zero.
    assert record_verdict(book, report(100), T0 + timedelta(hours=2)) == []
    assert mode_in_force(book, SHADOW, Category.FAQ, "password-reset").mode is SHADOW_MODE
    row = next(r for r in rows(book, SHADOW) if r.scope == "article:password-reset")
    assert row.last_disagreement is not None and row.last_disagreement.workflow_id == "triage-flag-1"
    assert (row.shadow_verdicts, row.window.agree, row.window.disagree) == (1, 31, 1)


def test_a_flag_under_the_seeds_default_demotes_the_article_not_the_category():
    default = AutonomySettings()
    book = AutonomyBook()
    (change,) = record_flag(book, flag(1, settings=default), T0)
    assert change.scope == "article:password-reset"
    assert mode_in_force(book, default, Category.FAQ, "password-reset").mode is SHADOW_MODE
    assert mode_in_force(book, default, Category.FAQ, "other-article").mode is AUTO


def test_a_category_with_a_shadow_mode_of_its_own_is_promoted_and_demoted():
    settings = AutonomySettings(categories={Category.GENERAL: SHADOW_MODE}, promote_after=3)
    book = AutonomyBook()
    changes = []
    for n, article in enumerate(["a", "b", "c"]):
        changes += record_verdict(
            book, report(n, article=article, category=Category.GENERAL, settings=settings), T0
        )
    assert {c.scope for c in changes} == {"category:general"}
    assert mode_in_force(book, settings, Category.GENERAL, "d").mode is AUTO
    demoted = record_flag(
        book,
        FlagReport(
            inbox_id="support",
            workflow_id="w",
            category=Category.GENERAL,
            article_id="d",
            by="bob",
            settings=settings,
        ),
        T0,
    )
    assert {c.scope for c in demoted} == {"article:d", "category:general"}
    assert mode_in_force(book, settings, Category.GENERAL, "e").mode is SHADOW_MODE


def test_review_mode_never_promotes_and_a_person_can_set_any_mode():
    review = AutonomySettings(default_mode=REVIEW, promote_after=1)
    book = AutonomyBook()
    assert record_verdict(book, report(1, settings=review, mode=REVIEW), T0) == []
    change = set_mode(
        book,
        review,
        ModeRequest(scope="article:password-reset", mode=SHADOW_MODE, by="carol", why="trial"),
        T0,
    )
    assert change is not None and (change.old, change.new, change.source) == (
        REVIEW,
        SHADOW_MODE,
        ModeSource.SET,
    )
    assert record_verdict(book, report(2, settings=review), T0) != []  # now shadow: one agreement earns it
    assert book.changes[-1].new is AUTO


def test_the_window_forgets_old_days_but_promotion_counts_since_the_last_change():
    settings = AutonomySettings(default_mode=SHADOW_MODE, window=timedelta(days=7), promote_after=50)
    book = AutonomyBook()
    for n in range(10):
        record_verdict(book, report(n, settings=settings), T0 + timedelta(days=n))
    row = next(r for r in rows(book, settings) if r.scope == "article:password-reset")
    assert row.window.agree == 7  # days 3..9
    assert row.shadow_verdicts == 10


@pytest.mark.parametrize(
    ("status", "revision", "redrafted", "recategorised", "expected"),
    [
        (TriageStatus.SENT, 1, False, False, Verdict.AGREE),
        (TriageStatus.SENT, 2, False, False, Verdict.EDITED),
        (TriageStatus.SENT, 2, True, False, Verdict.REDRAFTED),
        (TriageStatus.SENT, 1, False, True, Verdict.RECATEGORISED),
        (TriageStatus.REJECTED, 1, False, False, Verdict.REJECTED),
        (TriageStatus.EXPIRED, 1, False, False, Verdict.EXPIRED),
        (TriageStatus.AUTO_SENT, 1, False, False, Verdict.AUTO_SENT),
        (TriageStatus.SUPERSEDED, 1, False, False, None),
        (TriageStatus.FAILED, 1, False, False, None),
        (TriageStatus.NO_REPLY_NEEDED, 1, False, False, None),  # a thank-you closed the conversation
    ],
)
def test_how_a_closed_review_answers(status, revision, redrafted, recategorised, expected):
    assert verdict_for(status, revision, redrafted, recategorised) == expected


def test_no_reply_needed_from_a_reviewer_is_a_verdict_against_sending():
    verdict = verdict_for(TriageStatus.NO_REPLY_NEEDED, 1, False, False, closed_by_reviewer=True)
    assert verdict is Verdict.NO_REPLY and verdict.agrees is False
