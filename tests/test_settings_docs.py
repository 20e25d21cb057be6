"""One place per setting: defaults come from the workflow's models, and
docs/configuration.md is made from the settings model (stale: this fails)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import AliasChoices, SecretStr

from triage.domain.autonomy import AutonomySettings
from triage.domain.models import AutonomyMode, Category, PolicySettings, ReviewSettings
from triage.runtime import settings_docs
from triage.runtime.config import Settings


def test_the_page_is_made_from_the_settings_model():
    assert settings_docs.PAGE.read_text(encoding="utf-8") == settings_docs.page(), (
        "docs/configuration.md is stale: run python -m triage.runtime.settings_docs"
    )


def test_the_check_fails_on_a_stale_page(tmp_path, monkeypatch, capsys):
    page = tmp_path / "configuration.md"
    monkeypatch.setattr(settings_docs, "PAGE", page)
    page.write_text(settings_docs.page().replace("TRIAGE_BRAND_NAME", "TRIAGE_BRAND"), encoding="utf-8")
    assert settings_docs.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert settings_docs.main([]) == 0
    assert settings_docs.main(["--check"]) == 0


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_names_its_variable_and_says_what_it_does(name: str):
    field = Settings.model_fields[name]
    assert isinstance(field.validation_alias, AliasChoices)
    assert f"| `{settings_docs.variable(field)}` |" in settings_docs.table()
    assert field.description, f"{name}: the page's meaning column comes from description="


def test_defaults_the_workflow_carries_are_its_models():
    """Unconfigured, the settings hand the workflow exactly its models' defaults."""
    defaults = Settings.model_construct()
    assert defaults.policy_settings() == PolicySettings()
    assert defaults.review_settings() == ReviewSettings()
    assert defaults.autonomy_settings() == AutonomySettings()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unset"),
        (SecretStr(""), "unset"),
        (SecretStr("sim-dev-key"), "`sim-dev-key`"),
        (True, "`true`"),
        (False, "`false`"),
        (0.45, "`0.45`"),
        (timedelta(hours=24), "`PT24H`"),
        (timedelta(hours=72), "`PT72H`"),
        (timedelta(days=30), "`P30D`"),
        (timedelta(minutes=90), "`PT90M`"),
        (timedelta(seconds=45), "`PT45S`"),
        ([Category.GENERAL, Category.FAQ], '`["general","faq"]`'),
        ({}, "`{}`"),
        ({Category.FAQ: AutonomyMode.AUTO}, '`{"faq":"auto"}`'),
        (AutonomyMode.SHADOW, "`shadow`"),
    ],
)
def test_defaults_are_shown_as_a_user_writes_them(value, shown):
    assert settings_docs.shown(value) == shown
