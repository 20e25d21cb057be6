"""Configuration: environment variables, optionally a TOML file, validated once.

Variable names are the ones users already know (``TEMPORAL_ADDRESS``,
``OPENAI_API_KEY``, ...); everything product-specific starts with ``TRIAGE_``.
``TRIAGE_CONFIG=path/to/triage.toml`` adds a file whose keys are the field
names below (environment variables win over the file).
"""

from __future__ import annotations

import os
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triage.autonomy import AutonomySettings
from triage.models import (
    DEFAULT_AUTO_SEND_CATEGORIES,
    DEFAULT_BRAND_NAME,
    AutonomyMode,
    Category,
    GuardFlag,
    PolicySettings,
    ReviewSettings,
)


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Temporal
    temporal_address: str = Field("localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    temporal_task_queue: str = Field("support-triage", validation_alias=_env("TEMPORAL_TASK_QUEUE"))
    temporal_api_key: SecretStr | None = Field(None, validation_alias=_env("TEMPORAL_API_KEY"))
    temporal_tls: bool = Field(False, validation_alias=_env("TEMPORAL_TLS"))
    encryption_key: SecretStr | None = Field(None, validation_alias=_env("TRIAGE_ENCRYPTION_KEY"))
    temporal_db: Path = Field(Path(".data/temporal.db"), validation_alias=_env("TRIAGE_TEMPORAL_DB"))
    temporal_ui_port: int = Field(8233, validation_alias=_env("TRIAGE_TEMPORAL_UI_PORT"))

    # Mail: the provider the worker and the watcher use (triage/mail/factory.py)
    mail_provider: Literal["myagentmail"] = Field(
        "myagentmail", validation_alias=_env("TRIAGE_MAIL_PROVIDER")
    )

    # myagentmail
    mail_base_url: str = Field(
        "http://127.0.0.1:8725/v1", validation_alias=_env("MYAGENTMAIL_BASE_URL")
    )
    mail_api_key: SecretStr = Field(
        SecretStr("sim-dev-key"), validation_alias=_env("MYAGENTMAIL_API_KEY")
    )
    mail_ws_url: str | None = Field(None, validation_alias=_env("MYAGENTMAIL_WS_URL"))
    inbox_id: str = Field("support", validation_alias=_env("SUPPORT_INBOX_ID"))
    mail_timeout_seconds: float = Field(15.0, validation_alias=_env("MYAGENTMAIL_TIMEOUT"))

    # LLM
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=_env("OPENAI_BASE_URL"))
    classify_model: str = Field("gpt-4o-mini", validation_alias=_env("TRIAGE_CLASSIFY_MODEL"))
    draft_model: str = Field("gpt-4o-mini", validation_alias=_env("TRIAGE_DRAFT_MODEL"))
    provider: str = Field("auto", validation_alias=_env("TRIAGE_PROVIDER"))
    llm_timeout_seconds: float = Field(60.0, validation_alias=_env("TRIAGE_LLM_TIMEOUT"))
    llm_concurrency: int = Field(8, ge=1, validation_alias=_env("TRIAGE_LLM_CONCURRENCY"))
    # Bounds a looping model's answer (and bill). Generous because reasoning models spend
    # hidden tokens from the same budget: too tight turns answers into "length".
    llm_max_tokens: int = Field(4_000, ge=16, validation_alias=_env("TRIAGE_LLM_MAX_TOKENS"))
    kb_dir: Path | None = Field(None, validation_alias=_env("TRIAGE_KB_DIR"))
    # The offline model reads every message before the LLM (triage/llm/first_pass.py).
    first_pass: bool = Field(True, validation_alias=_env("TRIAGE_FIRST_PASS"))
    first_pass_confidence: float = Field(
        0.9, ge=0.5, le=1.0, validation_alias=_env("TRIAGE_FIRST_PASS_CONFIDENCE")
    )

    # Policy and review
    auto_send_categories: list[Category] = Field(
        default_factory=lambda: list(DEFAULT_AUTO_SEND_CATEGORIES),
        validation_alias=_env("TRIAGE_AUTO_SEND_CATEGORIES"),
    )
    confidence_threshold: float = Field(
        0.9, ge=0.0, le=1.0, validation_alias=_env("TRIAGE_CONFIDENCE_THRESHOLD")
    )
    require_kb_support: bool = Field(True, validation_alias=_env("TRIAGE_REQUIRE_KB_SUPPORT"))
    # How closely the customer's question must match one an article declares (0-1).
    answer_threshold: float = Field(
        PolicySettings.model_fields["answer_threshold"].default, ge=0.0, le=1.0,
        validation_alias=_env("TRIAGE_ANSWER_THRESHOLD"),
    )
    # Messages in other languages wait for a human: the problem-report checks read these.
    checked_languages: list[str] = Field(
        default_factory=lambda: ["en", "de", "fr", "es"], validation_alias=_env("TRIAGE_CHECKED_LANGUAGES")
    )
    ignored_guard_flags: list[GuardFlag] = Field(
        default_factory=list, validation_alias=_env("TRIAGE_IGNORED_GUARD_FLAGS")
    )
    auto_reply_limit: int = Field(3, ge=0, validation_alias=_env("TRIAGE_AUTO_REPLY_LIMIT"))
    auto_reply_window: timedelta = Field(timedelta(hours=24), validation_alias=_env("TRIAGE_AUTO_REPLY_WINDOW"))
    review_reminder_after: timedelta = Field(
        timedelta(hours=24), validation_alias=_env("TRIAGE_REVIEW_TIMEOUT")
    )
    review_expire_after: timedelta = Field(
        timedelta(hours=72), validation_alias=_env("TRIAGE_REVIEW_EXPIRY")
    )

    # The team our fixed replies (templates, the holding reply) are signed by.
    brand_name: str = Field(DEFAULT_BRAND_NAME, min_length=1, max_length=200, validation_alias=_env("TRIAGE_BRAND_NAME"))

    # Earned autonomy (triage/autonomy.py): shadow first, auto once earned.
    autonomy: AutonomyMode | None = Field(None, validation_alias=_env("TRIAGE_AUTONOMY"))
    autonomy_categories: dict[Category, AutonomyMode] = Field(
        default_factory=dict, validation_alias=_env("TRIAGE_AUTONOMY_CATEGORIES")
    )
    autonomy_articles: dict[str, AutonomyMode] = Field(
        default_factory=dict, validation_alias=_env("TRIAGE_AUTONOMY_ARTICLES")
    )
    autonomy_promote_after: int = Field(30, ge=1, validation_alias=_env("TRIAGE_AUTONOMY_PROMOTE_AFTER"))
    autonomy_promote_agree_rate: float = Field(
        0.97, ge=0.0, le=1.0, validation_alias=_env("TRIAGE_AUTONOMY_AGREE_RATE")
    )
    autonomy_window: timedelta = Field(timedelta(days=30), validation_alias=_env("TRIAGE_AUTONOMY_WINDOW"))
    # Retrained offline models (triage/llm/registry.py); the packaged one until a promotion.
    model_dir: Path = Field(Path(".data/models"), validation_alias=_env("TRIAGE_MODEL_DIR"))

    # Notifications and reviewers
    slack_webhook_url: SecretStr | None = Field(None, validation_alias=_env("SLACK_WEBHOOK_URL"))
    public_url: str = Field("http://localhost:8000", validation_alias=_env("TRIAGE_PUBLIC_URL"))

    # Reviewer API
    reviewers: SecretStr = Field(SecretStr(""), validation_alias=_env("TRIAGE_REVIEWERS"))
    session_secret: SecretStr | None = Field(None, validation_alias=_env("TRIAGE_SESSION_SECRET"))
    api_host: str = Field("127.0.0.1", validation_alias=_env("TRIAGE_API_HOST"))
    api_port: int = Field(8000, validation_alias=_env("TRIAGE_API_PORT"))

    # Observability
    metrics_port: int | None = Field(None, validation_alias=_env("TRIAGE_METRICS_PORT"))
    metrics_host: str = Field("127.0.0.1", validation_alias=_env("TRIAGE_METRICS_HOST"))

    # Worker
    max_concurrent_activities: int = Field(
        100, ge=1, validation_alias=_env("TRIAGE_MAX_CONCURRENT_ACTIVITIES")
    )
    # Reviews wait for hours: each cached one costs ~170 KB (the SDK caches
    # 1,000); an evicted one replays its short history when a decision arrives.
    max_cached_workflows: int = Field(
        500, ge=0, validation_alias=_env("TRIAGE_MAX_CACHED_WORKFLOWS")
    )

    # Watcher
    watch_idle_timeout_seconds: float = Field(
        45.0, gt=0, validation_alias=_env("TRIAGE_WATCH_IDLE_TIMEOUT")
    )
    catchup_max_pages: int = Field(50, ge=1, validation_alias=_env("TRIAGE_CATCHUP_MAX_PAGES"))

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

    @property
    def ws_url(self) -> str:
        if self.mail_ws_url:
            return self.mail_ws_url
        base = self.mail_base_url.rstrip("/")
        scheme, rest = base.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"

    def reviewer_tokens(self) -> dict[str, str]:
        """``alice:TOKEN,bob:TOKEN2`` -> {token: name}."""
        tokens: dict[str, str] = {}
        for entry in self.reviewers.get_secret_value().split(","):
            name, sep, token = entry.strip().partition(":")
            if sep and name.strip() and token.strip():
                tokens[token.strip()] = name.strip()
        return tokens

    def policy_settings(self) -> PolicySettings:
        return PolicySettings(
            auto_send_categories=self.auto_send_categories,
            confidence_threshold=self.confidence_threshold,
            require_kb_support=self.require_kb_support,
            ignored_flags=self.ignored_guard_flags,
            answer_threshold=self.answer_threshold,
            checked_languages=self.checked_languages,
            auto_reply_limit=self.auto_reply_limit,
            auto_reply_window=self.auto_reply_window,
            brand_name=self.brand_name,
        )

    def autonomy_settings(self) -> AutonomySettings:
        return AutonomySettings(
            default_mode=self.autonomy,
            categories=self.autonomy_categories,
            articles=self.autonomy_articles,
            promote_after=self.autonomy_promote_after,
            promote_agree_rate=self.autonomy_promote_agree_rate,
            window=self.autonomy_window,
        )

    def review_settings(self) -> ReviewSettings:
        return ReviewSettings(
            reminder_after=self.review_reminder_after,
            expire_after=self.review_expire_after,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
