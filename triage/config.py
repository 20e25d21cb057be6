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
from typing import Any, Literal, NamedTuple

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triage.autonomy import AutonomySettings
from triage.models import (
    AutonomyMode,
    Category,
    GuardFlag,
    PolicySettings,
    ReviewSettings,
    Role,
)

ROLE_NAMES = frozenset(role.value for role in Role)


class ReviewerEntry(NamedTuple):
    """One ``TRIAGE_REVIEWERS`` entry."""

    name: str
    token: str
    role: Role


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


def _default(model: type[BaseModel], field: str) -> Any:
    """The default of a setting the workflow carries in its input: written once, in that model."""
    return model.model_fields[field].get_default(call_default_factory=True)


class Settings(BaseSettings):
    """Every setting: its variable, default and meaning (``docs/configuration.md`` is made from them)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Temporal
    temporal_address: str = Field(
        "localhost:7233", description="where workflows run: the Temporal frontend",
        validation_alias=_env("TEMPORAL_ADDRESS"),
    )
    temporal_namespace: str = Field(
        "default", description="the Temporal namespace", validation_alias=_env("TEMPORAL_NAMESPACE")
    )
    temporal_task_queue: str = Field(
        "support-triage", description="the task queue of the workers", validation_alias=_env("TEMPORAL_TASK_QUEUE")
    )
    temporal_api_key: SecretStr | None = Field(
        None, description="Temporal Cloud API key (TLS is implied)", validation_alias=_env("TEMPORAL_API_KEY")
    )
    temporal_tls: bool = Field(
        False, description="TLS to the frontend; `false` turns it off even with an API key",
        validation_alias=_env("TEMPORAL_TLS"),
    )
    encryption_key: SecretStr | None = Field(
        None, description="encrypts email text in Temporal's history: a base64 AES key, or "
        "`id1:key1,id2:key2` to rotate (README, [Operations](../README.md#operations))", validation_alias=_env("TRIAGE_ENCRYPTION_KEY"),
    )
    temporal_db: Path = Field(
        Path(".data/temporal.db"), description="the dev server's SQLite file (`triage server`, `triage up`)",
        validation_alias=_env("TRIAGE_TEMPORAL_DB"),
    )
    temporal_ui_port: int = Field(
        8233, description="the dev server's Web UI port", validation_alias=_env("TRIAGE_TEMPORAL_UI_PORT")
    )

    # Mail: the provider the worker and the watcher use (triage/mail/factory.py)
    mail_provider: Literal["myagentmail"] = Field(
        "myagentmail", description="the mail service the worker and the watcher use "
        "(`triage/mail/factory.py`; myagentmail is the only one so far)",
        validation_alias=_env("TRIAGE_MAIL_PROVIDER"),
    )

    # myagentmail
    mail_base_url: str = Field(
        "http://127.0.0.1:8725/v1", description="REST base (`https://myagentmail.com/v1` for the real service)",
        validation_alias=_env("MYAGENTMAIL_BASE_URL"),
    )
    mail_api_key: SecretStr = Field(
        SecretStr("sim-dev-key"), description="API key", validation_alias=_env("MYAGENTMAIL_API_KEY")
    )
    mail_ws_url: str | None = Field(
        None, description="WebSocket; unset: derived from the base URL", validation_alias=_env("MYAGENTMAIL_WS_URL")
    )
    inbox_id: str = Field("support", description="the inbox to triage", validation_alias=_env("SUPPORT_INBOX_ID"))
    mail_timeout_seconds: float = Field(
        15.0, description="seconds a mail API call may take", validation_alias=_env("MYAGENTMAIL_TIMEOUT")
    )

    # LLM
    openai_api_key: SecretStr | None = Field(
        None, description="use an OpenAI-compatible LLM instead of the offline model",
        validation_alias=_env("OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        None, description="the LLM's base URL (any OpenAI-compatible API)", validation_alias=_env("OPENAI_BASE_URL")
    )
    classify_model: str = Field(
        "gpt-4o-mini", description="the model that classifies", validation_alias=_env("TRIAGE_CLASSIFY_MODEL")
    )
    draft_model: str = Field(
        "gpt-4o-mini", description="the model that drafts replies", validation_alias=_env("TRIAGE_DRAFT_MODEL")
    )
    provider: str = Field(
        "auto", description="`auto` (openai with a key, offline without), `offline`, `openai`",
        validation_alias=_env("TRIAGE_PROVIDER"),
    )
    llm_timeout_seconds: float = Field(
        60.0, description="seconds an LLM call may take", validation_alias=_env("TRIAGE_LLM_TIMEOUT")
    )
    llm_concurrency: int = Field(
        8, ge=1, description="in-flight LLM calls per worker (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_LLM_CONCURRENCY"),
    )
    kb_dir: Path | None = Field(
        None, description="your own help-centre Markdown (per language, reloaded when it changes; check it "
        "with `triage kb check`); unset: the packaged articles", validation_alias=_env("TRIAGE_KB_DIR"),
    )
    # The offline model reads every message before the LLM (triage/llm/first_pass.py).
    first_pass: bool = Field(
        True, description="with the openai provider, the offline model reads every message first",
        validation_alias=_env("TRIAGE_FIRST_PASS"),
    )
    first_pass_confidence: float = Field(
        0.9, ge=0.5, le=1.0, description="the offline model's confidence that settles a message without the LLM",
        validation_alias=_env("TRIAGE_FIRST_PASS_CONFIDENCE"),
    )

    # Policy and review: the defaults are PolicySettings' and ReviewSettings' (the workflow's input).
    auto_send_categories: list[Category] = Field(
        _default(PolicySettings, "auto_send_categories"),
        description="JSON list; also the categories whose probabilities the offline model adds up as its "
        "routine confidence", validation_alias=_env("TRIAGE_AUTO_SEND_CATEGORIES"),
    )
    confidence_threshold: float = Field(
        _default(PolicySettings, "confidence_threshold"), ge=0.0, le=1.0,
        description="the least confidence for an auto-send", validation_alias=_env("TRIAGE_CONFIDENCE_THRESHOLD"),
    )
    require_kb_support: bool = Field(
        _default(PolicySettings, "require_kb_support"),
        description="an auto-send must be grounded in a knowledge-base article",
        validation_alias=_env("TRIAGE_REQUIRE_KB_SUPPORT"),
    )
    answer_threshold: float = Field(
        _default(PolicySettings, "answer_threshold"), ge=0.0, le=1.0,
        description="how closely the customer's question must match one an article declares (0-1)",
        validation_alias=_env("TRIAGE_ANSWER_THRESHOLD"),
    )
    checked_languages: list[str] = Field(
        _default(PolicySettings, "checked_languages"),
        description="JSON list: the languages the problem-report checks read; a message in another language "
        "waits for a human", validation_alias=_env("TRIAGE_CHECKED_LANGUAGES"),
    )
    ignored_guard_flags: list[GuardFlag] = Field(
        _default(PolicySettings, "ignored_flags"),
        description="JSON list of guard flags that do not block an auto-send (empty: every flag blocks)",
        validation_alias=_env("TRIAGE_IGNORED_GUARD_FLAGS"),
    )
    auto_reply_limit: int = Field(
        _default(PolicySettings, "auto_reply_limit"), ge=0,
        description="automatic replies per sender per window; more wait for a human",
        validation_alias=_env("TRIAGE_AUTO_REPLY_LIMIT"),
    )
    auto_reply_window: timedelta = Field(
        _default(PolicySettings, "auto_reply_window"), description="the window of `TRIAGE_AUTO_REPLY_LIMIT`",
        validation_alias=_env("TRIAGE_AUTO_REPLY_WINDOW"),
    )
    review_reminder_after: timedelta = Field(
        _default(ReviewSettings, "reminder_after"),
        description="a pending review's reminder (ISO-8601 duration or seconds)",
        validation_alias=_env("TRIAGE_REVIEW_TIMEOUT"),
    )
    review_expire_after: timedelta = Field(
        _default(ReviewSettings, "expire_after"),
        description="a pending review becomes `expired` (ISO-8601 duration or seconds)",
        validation_alias=_env("TRIAGE_REVIEW_EXPIRY"),
    )
    brand_name: str = Field(
        _default(PolicySettings, "brand_name"), min_length=1, max_length=200,
        description="the team the template and holding replies are signed by",
        validation_alias=_env("TRIAGE_BRAND_NAME"),
    )

    # Earned autonomy (triage/autonomy.py): shadow first, auto once earned; defaults are AutonomySettings'.
    autonomy: AutonomyMode | None = Field(
        _default(AutonomySettings, "default_mode"),
        description="`review`, `shadow` or `auto` for every category and article not set below (unset: "
        "`auto`); `shadow` is recommended for a team's first weeks", validation_alias=_env("TRIAGE_AUTONOMY"),
    )
    autonomy_categories: dict[Category, AutonomyMode] = Field(
        _default(AutonomySettings, "categories"), description="JSON object: a mode per category",
        validation_alias=_env("TRIAGE_AUTONOMY_CATEGORIES"),
    )
    autonomy_articles: dict[str, AutonomyMode] = Field(
        _default(AutonomySettings, "articles"), description="JSON object: a mode per knowledge-base article id",
        validation_alias=_env("TRIAGE_AUTONOMY_ARTICLES"),
    )
    autonomy_promote_after: int = Field(
        _default(AutonomySettings, "promote_after"), ge=1, description="shadow verdicts needed before auto",
        validation_alias=_env("TRIAGE_AUTONOMY_PROMOTE_AFTER"),
    )
    autonomy_promote_agree_rate: float = Field(
        _default(AutonomySettings, "promote_agree_rate"), ge=0.0, le=1.0,
        description="the share of shadow verdicts reviewers must agree with before auto",
        validation_alias=_env("TRIAGE_AUTONOMY_AGREE_RATE"),
    )
    autonomy_window: timedelta = Field(
        _default(AutonomySettings, "window"), description="the rolling window the autonomy figures cover",
        validation_alias=_env("TRIAGE_AUTONOMY_WINDOW"),
    )
    model_dir: Path = Field(
        Path(".data/models"), description="retrained offline models and the one in force (shared by workers, "
        "CLI and the retrain workflow); the packaged model until a promotion",
        validation_alias=_env("TRIAGE_MODEL_DIR"),
    )

    # Notifications and reviewers
    slack_webhook_url: SecretStr | None = Field(
        None, description="reviewer notifications (a log line without it)", validation_alias=_env("SLACK_WEBHOOK_URL")
    )
    public_url: str = Field(
        "http://localhost:8000", description="base of the deep links in notifications",
        validation_alias=_env("TRIAGE_PUBLIC_URL"),
    )

    # Reviewer API
    reviewers: SecretStr = Field(
        SecretStr(""), description="the dashboard's reviewers: `name:token[:role]`, comma-separated; "
        "role `admin` or `reviewer` (the default)",
        validation_alias=_env("TRIAGE_REVIEWERS"),
    )
    session_secret: SecretStr | None = Field(
        None, description="signs the dashboard's session cookies (API replicas share it); unset: a new one per start",
        validation_alias=_env("TRIAGE_SESSION_SECRET"),
    )
    # Single sign-on (OpenID Connect): on when the issuer is set (docs/access.md)
    oidc_issuer: str | None = Field(
        None, description="sign-on: the OpenID provider's issuer URL; unset: tokens only",
        validation_alias=_env("TRIAGE_OIDC_ISSUER"),
    )
    oidc_client_id: str = Field("", description="sign-on: this app's client id", validation_alias=_env("TRIAGE_OIDC_CLIENT_ID"))
    oidc_client_secret: SecretStr = Field(
        SecretStr(""), description="sign-on: this app's client secret", validation_alias=_env("TRIAGE_OIDC_CLIENT_SECRET")
    )
    oidc_scopes: str = Field(
        "openid email profile", description="sign-on: scopes asked for", validation_alias=_env("TRIAGE_OIDC_SCOPES")
    )
    # Who may sign in (at least one of the two): email domains, groups; comma-separated.
    oidc_allowed_domains: str = Field(
        "", description="sign-on: email domains allowed in, comma-separated",
        validation_alias=_env("TRIAGE_OIDC_ALLOWED_DOMAINS"),
    )
    oidc_allowed_groups: str = Field(
        "", description="sign-on: groups allowed in, comma-separated", validation_alias=_env("TRIAGE_OIDC_ALLOWED_GROUPS")
    )
    oidc_admin_groups: str = Field(
        "", description="sign-on: members of these groups are admins; everyone else allowed in is a reviewer",
        validation_alias=_env("TRIAGE_OIDC_ADMIN_GROUPS"),
    )
    oidc_groups_claim: str = Field(
        "groups", description="sign-on: the ID token claim that lists groups", validation_alias=_env("TRIAGE_OIDC_GROUPS_CLAIM")
    )
    oidc_leeway_seconds: int = Field(
        60, ge=0, le=600, description="sign-on: clock difference tolerated on token times",
        validation_alias=_env("TRIAGE_OIDC_LEEWAY_SECONDS"),
    )
    api_host: str = Field(
        "127.0.0.1", description="the reviewer API's address", validation_alias=_env("TRIAGE_API_HOST")
    )
    api_port: int = Field(8000, description="the reviewer API's port", validation_alias=_env("TRIAGE_API_PORT"))

    # Observability
    metrics_port: int | None = Field(
        None, description="a worker's Prometheus metrics port (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_METRICS_PORT"),
    )
    metrics_host: str = Field(
        "127.0.0.1", description="the metrics endpoint's address", validation_alias=_env("TRIAGE_METRICS_HOST")
    )

    # Worker
    max_concurrent_activities: int = Field(
        100, ge=1, description="activities a worker runs at once (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_MAX_CONCURRENT_ACTIVITIES"),
    )
    # Reviews wait for hours: each cached one costs ~170 KB (the SDK caches
    # 1,000); an evicted one replays its short history when a decision arrives.
    max_cached_workflows: int = Field(
        500, ge=0, description="workflows a worker keeps in memory (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_MAX_CACHED_WORKFLOWS"),
    )

    # Watcher
    watch_idle_timeout_seconds: float = Field(
        45.0, gt=0, description="seconds without a frame before the socket counts as half-open",
        validation_alias=_env("TRIAGE_WATCH_IDLE_TIMEOUT"),
    )
    catchup_max_pages: int = Field(
        50, ge=1, description="pages of the inbox the watcher reads to catch up on missed mail",
        validation_alias=_env("TRIAGE_CATCHUP_MAX_PAGES"),
    )

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

    def reviewer_entries(self) -> list[ReviewerEntry]:
        """``alice:TOKEN:admin,bob:TOKEN2`` -> entries; without a role, an entry is a reviewer.

        Entries that are not ``name:token[:role]`` are left out here and named by the
        API's start-up check (``starter.api.auth.token_problems``).
        """
        entries: list[ReviewerEntry] = []
        for entry in self.reviewers.get_secret_value().split(","):
            name, sep, rest = entry.strip().partition(":")
            token, role = rest.strip(), Role.REVIEWER
            head, colon, tail = token.rpartition(":")
            if colon and tail.strip() in ROLE_NAMES:
                token, role = head.strip(), Role(tail.strip())
            if sep and name.strip() and token:
                entries.append(ReviewerEntry(name=name.strip(), token=token, role=role))
        return entries

    def reviewer_tokens(self) -> dict[str, str]:
        """``alice:TOKEN,bob:TOKEN2`` -> {token: name}."""
        return {entry.token: entry.name for entry in self.reviewer_entries()}

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
