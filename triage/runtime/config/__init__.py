"""Configuration: environment variables, optionally a TOML file, validated once.

Variable names are the ones users already know (``TEMPORAL_ADDRESS``,
``OPENAI_API_KEY``, ...); everything product-specific starts with ``TRIAGE_``.
``TRIAGE_CONFIG=path/to/triage.toml`` adds a file whose keys are the field
names (environment variables win over the file).

``Settings`` is one flat model (``settings.imap_host``), declared by section, each
section's fields and what it derives from them in a module of its own:
``temporal``, ``mail``, ``judging``, ``sending`` (policy, review, autonomy),
``access`` (notifications, reviewers, sign-on, the API) and ``operations``. The
sections are listed last to first below: pydantic collects fields from the
furthest base first, so the fields (and ``docs/configuration.md``) keep this order.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triage.runtime.config.access import ROLE_NAMES, AccessSettings, ReviewerEntry
from triage.runtime.config.judging import JudgingSettings
from triage.runtime.config.mail import ImapAccount, MailSettings
from triage.runtime.config.operations import OperationsSettings
from triage.runtime.config.sending import SendingSettings
from triage.runtime.config.temporal import TemporalSettings

__all__ = ["ROLE_NAMES", "ImapAccount", "ReviewerEntry", "Settings", "get_settings"]


class Settings(
    OperationsSettings,
    AccessSettings,
    SendingSettings,
    JudgingSettings,
    MailSettings,
    TemporalSettings,
    BaseSettings,
):
    """Every setting: its variable, default and meaning (``docs/configuration.md`` is made from them)."""

    # Errors never echo their input: it may be a password or an API key.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("TRIAGE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    def secret_values(self) -> list[str]:
        """Every configured secret, as logs must never show it (triage.runtime.logsafe)."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
        return [v for v in [*values, *self.reviewer_tokens()] if v]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
