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
from typing import Any, Literal, NamedTuple, Self

from pydantic import AliasChoices, BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triage.autonomy import AutonomySettings
from triage.contracts import judge_queue_for
from triage.inbound import valid_address
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


_IMAP_PORTS = {"tls": 993, "starttls": 143, "none": 143}
_SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


class ImapAccount(BaseModel):
    """An IMAP + SMTP mailbox, as ``Settings.imap_account`` checked it."""

    host: str
    port: int
    security: Literal["tls", "starttls", "none"]
    user: str
    password: SecretStr | None
    token_command: str | None
    address: str
    inbox_folder: str
    drafts_folder: str
    sent_folder: str
    save_sent: bool
    idle: bool
    poll_seconds: float
    max_message_bytes: int
    smtp_host: str
    smtp_port: int
    smtp_security: Literal["tls", "starttls", "none"]
    timeout: float


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


def _default(model: type[BaseModel], field: str) -> Any:
    """The default of a setting the workflow carries in its input: written once, in that model."""
    return model.model_fields[field].get_default(call_default_factory=True)


class Settings(BaseSettings):
    """Every setting: its variable, default and meaning (``docs/configuration.md`` is made from them)."""

    # Errors never echo their input: it may be a password or an API key.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    # Temporal
    temporal_address: str = Field(
        "localhost:7233",
        description="where workflows run: the Temporal frontend",
        validation_alias=_env("TEMPORAL_ADDRESS"),
    )
    temporal_namespace: str = Field(
        "default", description="the Temporal namespace", validation_alias=_env("TEMPORAL_NAMESPACE")
    )
    temporal_task_queue: str = Field(
        "support-triage",
        description="the task queue of the workers",
        validation_alias=_env("TEMPORAL_TASK_QUEUE"),
    )
    judge_task_queue: str | None = Field(
        None,
        min_length=1,
        description="the judge worker's queue (classify, draft, retrain); unset: "
        "`<TEMPORAL_TASK_QUEUE>-judge`",
        validation_alias=_env("TRIAGE_JUDGE_TASK_QUEUE"),
    )
    temporal_api_key: SecretStr | None = Field(
        None, description="Temporal Cloud API key (TLS is implied)", validation_alias=_env("TEMPORAL_API_KEY")
    )
    temporal_tls: bool = Field(
        False,
        description="TLS to the frontend; `false` turns it off even with an API key",
        validation_alias=_env("TEMPORAL_TLS"),
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="encrypts email text in Temporal's history: a base64 AES key, or "
        "`id1:key1,id2:key2` to rotate (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_ENCRYPTION_KEY"),
    )
    temporal_db: Path = Field(
        Path(".data/temporal.db"),
        description="the dev server's SQLite file (`triage server`, `triage up`)",
        validation_alias=_env("TRIAGE_TEMPORAL_DB"),
    )
    temporal_ui_port: int = Field(
        8233, description="the dev server's Web UI port", validation_alias=_env("TRIAGE_TEMPORAL_UI_PORT")
    )

    # Mail: the provider the worker and the watcher use (triage/mail/factory.py)
    mail_provider: Literal["myagentmail", "imap"] = Field(
        "myagentmail",
        description="the mail service the worker and the watcher use: `myagentmail` or `imap` "
        "(any IMAP + SMTP mailbox, docs/mailbox.md)",
        validation_alias=_env("TRIAGE_MAIL_PROVIDER"),
    )

    # IMAP + SMTP (triage/mail/imap/): any mailbox. Checked once, by imap_account().
    imap_host: str | None = Field(
        None, description="IMAP: the server's host name", validation_alias=_env("TRIAGE_IMAP_HOST")
    )
    imap_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="IMAP: the port; unset: 993 with TLS, 143 otherwise",
        validation_alias=_env("TRIAGE_IMAP_PORT"),
    )
    imap_security: Literal["tls", "starttls", "none"] = Field(
        "tls", description="IMAP: `tls`, `starttls` or `none`", validation_alias=_env("TRIAGE_IMAP_SECURITY")
    )
    imap_user: str | None = Field(
        None, description="IMAP (and SMTP): the login", validation_alias=_env("TRIAGE_IMAP_USER")
    )
    # A password or app password; or, for XOAUTH2 (Google, Microsoft 365), a command that
    # prints a fresh access token: the command is configured, never the token.
    imap_password: SecretStr | None = Field(
        None,
        description="IMAP (and SMTP): a password or app password",
        validation_alias=_env("TRIAGE_IMAP_PASSWORD"),
    )
    imap_token_command: str | None = Field(
        None,
        description="IMAP (and SMTP): for XOAUTH2 (Google, Microsoft 365), a command that prints a fresh access token",
        validation_alias=_env("TRIAGE_IMAP_TOKEN_COMMAND"),
    )
    imap_address: str | None = Field(
        None,
        description="IMAP: the support address replies come from; unset: the login if it is an address",
        validation_alias=_env("TRIAGE_IMAP_ADDRESS"),
    )
    imap_inbox_folder: str = Field(
        "INBOX",
        min_length=1,
        description="IMAP: the folder new mail arrives in",
        validation_alias=_env("TRIAGE_IMAP_INBOX_FOLDER"),
    )
    imap_drafts_folder: str = Field(
        "Drafts",
        min_length=1,
        description="IMAP: the folder drafts are kept in",
        validation_alias=_env("TRIAGE_IMAP_DRAFTS_FOLDER"),
    )
    imap_sent_folder: str = Field(
        "Sent",
        min_length=1,
        description="IMAP: the folder sent replies are filed in",
        validation_alias=_env("TRIAGE_IMAP_SENT_FOLDER"),
    )
    # Gmail files what its SMTP sends in Sent by itself: then we must not APPEND a second copy.
    imap_save_sent: bool = Field(
        True,
        description="IMAP: file a copy of each reply in Sent (`false` for Gmail, whose SMTP does it)",
        validation_alias=_env("TRIAGE_IMAP_SAVE_SENT"),
    )
    imap_idle: bool = Field(
        True,
        description="IMAP: wait for new mail with IDLE where the server offers it",
        validation_alias=_env("TRIAGE_IMAP_IDLE"),
    )
    imap_poll_seconds: float = Field(
        30.0,
        gt=0,
        le=1800,
        description="IMAP: seconds between looks at the inbox without IDLE",
        validation_alias=_env("TRIAGE_IMAP_POLL_INTERVAL"),
    )
    imap_max_message_bytes: int = Field(
        10_000_000,
        ge=10_000,
        description="IMAP: larger messages are not read; they go to review with the reason",
        validation_alias=_env("TRIAGE_IMAP_MAX_MESSAGE_BYTES"),
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP: the submission server; unset: the IMAP host",
        validation_alias=_env("TRIAGE_SMTP_HOST"),
    )
    smtp_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="SMTP: the port; unset: 465 with TLS, 587 otherwise",
        validation_alias=_env("TRIAGE_SMTP_PORT"),
    )
    smtp_security: Literal["tls", "starttls", "none"] | None = Field(
        None,
        description="SMTP: `tls`, `starttls` or `none`; unset: as IMAP",
        validation_alias=_env("TRIAGE_SMTP_SECURITY"),
    )

    # myagentmail
    mail_base_url: str = Field(
        "http://127.0.0.1:8725/v1",
        description="REST base (`https://myagentmail.com/v1` for the real service)",
        validation_alias=_env("MYAGENTMAIL_BASE_URL"),
    )
    mail_api_key: SecretStr = Field(
        SecretStr("sim-dev-key"), description="API key", validation_alias=_env("MYAGENTMAIL_API_KEY")
    )
    mail_ws_url: str | None = Field(
        None,
        description="WebSocket; unset: derived from the base URL",
        validation_alias=_env("MYAGENTMAIL_WS_URL"),
    )
    inbox_id: str = Field(
        "support", description="the inbox to triage", validation_alias=_env("SUPPORT_INBOX_ID")
    )
    mail_timeout_seconds: float = Field(
        15.0, description="seconds a mail API call may take", validation_alias=_env("MYAGENTMAIL_TIMEOUT")
    )

    # LLM
    openai_api_key: SecretStr | None = Field(
        None,
        description="use an OpenAI-compatible LLM instead of the offline model",
        validation_alias=_env("OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        None,
        description="the LLM's base URL (any OpenAI-compatible API)",
        validation_alias=_env("OPENAI_BASE_URL"),
    )
    classify_model: str = Field(
        "gpt-4o-mini", description="the model that classifies", validation_alias=_env("TRIAGE_CLASSIFY_MODEL")
    )
    draft_model: str = Field(
        "gpt-4o-mini",
        description="the model that drafts replies",
        validation_alias=_env("TRIAGE_DRAFT_MODEL"),
    )
    provider: str = Field(
        "auto",
        description="`auto` (openai with a key, offline without), `offline`, `openai`",
        validation_alias=_env("TRIAGE_PROVIDER"),
    )
    llm_timeout_seconds: float = Field(
        60.0, description="seconds an LLM call may take", validation_alias=_env("TRIAGE_LLM_TIMEOUT")
    )
    llm_concurrency: int = Field(
        8,
        ge=1,
        description="in-flight LLM calls per worker (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_LLM_CONCURRENCY"),
    )
    # Bounds a looping model's answer (and bill). Generous because reasoning models spend
    # hidden tokens from the same budget: too tight turns answers into "length".
    llm_max_tokens: int = Field(
        4_000,
        ge=16,
        description="the most tokens an LLM answer may take",
        validation_alias=_env("TRIAGE_LLM_MAX_TOKENS"),
    )
    kb_dir: Path | None = Field(
        None,
        description="your own help-centre Markdown (per language, reloaded when it changes; check it "
        "with `triage kb check`); unset: the packaged articles",
        validation_alias=_env("TRIAGE_KB_DIR"),
    )
    # The offline model reads every message before the LLM (triage/llm/first_pass.py).
    first_pass: bool = Field(
        True,
        description="with the openai provider, the offline model reads every message first",
        validation_alias=_env("TRIAGE_FIRST_PASS"),
    )
    first_pass_confidence: float = Field(
        0.9,
        ge=0.5,
        le=1.0,
        description="the offline model's confidence that settles a message without the LLM",
        validation_alias=_env("TRIAGE_FIRST_PASS_CONFIDENCE"),
    )

    # Policy and review: the defaults are PolicySettings' and ReviewSettings' (the workflow's input).
    auto_send_categories: list[Category] = Field(
        _default(PolicySettings, "auto_send_categories"),
        description="JSON list; also the categories whose probabilities the offline model adds up as its "
        "routine confidence",
        validation_alias=_env("TRIAGE_AUTO_SEND_CATEGORIES"),
    )
    confidence_threshold: float = Field(
        _default(PolicySettings, "confidence_threshold"),
        ge=0.0,
        le=1.0,
        description="the least confidence for an auto-send",
        validation_alias=_env("TRIAGE_CONFIDENCE_THRESHOLD"),
    )
    require_kb_support: bool = Field(
        _default(PolicySettings, "require_kb_support"),
        description="an auto-send must be grounded in a knowledge-base article",
        validation_alias=_env("TRIAGE_REQUIRE_KB_SUPPORT"),
    )
    answer_threshold: float = Field(
        _default(PolicySettings, "answer_threshold"),
        ge=0.0,
        le=1.0,
        description="how closely the customer's question must match one an article declares (0-1)",
        validation_alias=_env("TRIAGE_ANSWER_THRESHOLD"),
    )
    how_to_confidence_threshold: float | None = Field(
        _default(PolicySettings, "how_to_confidence_threshold"),
        ge=0.0,
        le=1.0,
        description="the least confidence for a how-to question an article answers with nothing left "
        "unanswered and no guard flag (the act, not the category, makes it routine); set it to the "
        "confidence threshold to turn this off",
        validation_alias=_env("TRIAGE_HOW_TO_CONFIDENCE_THRESHOLD"),
    )
    how_to_categories: list[Category] = Field(
        _default(PolicySettings, "how_to_categories"),
        description='JSON list of categories otherwise always reviewed (e.g. ["billing"]) whose how-to '
        "questions an article answers may go out alone",
        validation_alias=_env("TRIAGE_HOW_TO_CATEGORIES"),
    )
    checked_languages: list[str] = Field(
        _default(PolicySettings, "checked_languages"),
        description="JSON list: the languages the problem-report checks read; a message in another language "
        "waits for a human",
        validation_alias=_env("TRIAGE_CHECKED_LANGUAGES"),
    )
    ignored_guard_flags: list[GuardFlag] = Field(
        _default(PolicySettings, "ignored_flags"),
        description="JSON list of guard flags that do not block an auto-send (empty: every flag blocks)",
        validation_alias=_env("TRIAGE_IGNORED_GUARD_FLAGS"),
    )
    auto_reply_limit: int = Field(
        _default(PolicySettings, "auto_reply_limit"),
        ge=0,
        description="automatic replies per sender per window; more wait for a human",
        validation_alias=_env("TRIAGE_AUTO_REPLY_LIMIT"),
    )
    auto_reply_window: timedelta = Field(
        _default(PolicySettings, "auto_reply_window"),
        description="the window of `TRIAGE_AUTO_REPLY_LIMIT`",
        validation_alias=_env("TRIAGE_AUTO_REPLY_WINDOW"),
    )
    # However a sender spells its address: per registrable domain and per inbox, per budget window.
    auto_reply_domain_limit: int = Field(
        _default(PolicySettings, "auto_reply_domain_limit"),
        ge=0,
        description="automatic replies per registrable domain per budget window (sub-domains count as one)",
        validation_alias=_env("TRIAGE_AUTO_REPLY_DOMAIN_LIMIT"),
    )
    auto_reply_inbox_limit: int = Field(
        _default(PolicySettings, "auto_reply_inbox_limit"),
        ge=0,
        description="automatic replies from the whole inbox per budget window",
        validation_alias=_env("TRIAGE_AUTO_REPLY_INBOX_LIMIT"),
    )
    auto_reply_budget_window: timedelta = Field(
        _default(PolicySettings, "auto_reply_budget_window"),
        description="the window of `TRIAGE_AUTO_REPLY_DOMAIN_LIMIT` and `TRIAGE_AUTO_REPLY_INBOX_LIMIT`",
        validation_alias=_env("TRIAGE_AUTO_REPLY_BUDGET_WINDOW"),
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
        _default(PolicySettings, "brand_name"),
        min_length=1,
        max_length=200,
        description="the team the template and holding replies are signed by",
        validation_alias=_env("TRIAGE_BRAND_NAME"),
    )

    # Earned autonomy (triage/autonomy.py): shadow first, auto once earned; defaults are AutonomySettings'.
    autonomy: AutonomyMode | None = Field(
        _default(AutonomySettings, "default_mode"),
        description="`review`, `shadow` or `auto` for every category and article not set below (unset: "
        "`auto`); `shadow` is recommended for a team's first weeks",
        validation_alias=_env("TRIAGE_AUTONOMY"),
    )
    autonomy_categories: dict[Category, AutonomyMode] = Field(
        _default(AutonomySettings, "categories"),
        description="JSON object: a mode per category",
        validation_alias=_env("TRIAGE_AUTONOMY_CATEGORIES"),
    )
    autonomy_articles: dict[str, AutonomyMode] = Field(
        _default(AutonomySettings, "articles"),
        description="JSON object: a mode per knowledge-base article id",
        validation_alias=_env("TRIAGE_AUTONOMY_ARTICLES"),
    )
    autonomy_promote_after: int = Field(
        _default(AutonomySettings, "promote_after"),
        ge=1,
        description="shadow verdicts needed before auto",
        validation_alias=_env("TRIAGE_AUTONOMY_PROMOTE_AFTER"),
    )
    autonomy_promote_agree_rate: float = Field(
        _default(AutonomySettings, "promote_agree_rate"),
        ge=0.0,
        le=1.0,
        description="the share of shadow verdicts reviewers must agree with before auto",
        validation_alias=_env("TRIAGE_AUTONOMY_AGREE_RATE"),
    )
    autonomy_window: timedelta = Field(
        _default(AutonomySettings, "window"),
        description="the rolling window the autonomy figures cover",
        validation_alias=_env("TRIAGE_AUTONOMY_WINDOW"),
    )
    model_dir: Path = Field(
        Path(".data/models"),
        description="retrained offline models and the one in force (shared by workers, "
        "CLI and the retrain workflow); the packaged model until a promotion",
        validation_alias=_env("TRIAGE_MODEL_DIR"),
    )
    autonomy_mode_max_age: timedelta = Field(
        timedelta(seconds=1),
        ge=timedelta(0),
        le=timedelta(minutes=1),
        description="how old a worker's copy of the modes in force may be (a change applies within it; a burst "
        "reads the modes once per worker)",
        validation_alias=_env("TRIAGE_AUTONOMY_MODE_MAX_AGE"),
    )

    # Notifications and reviewers
    slack_webhook_url: SecretStr | None = Field(
        None,
        description="reviewer notifications (a log line without it)",
        validation_alias=_env("SLACK_WEBHOOK_URL"),
    )
    public_url: str = Field(
        "http://localhost:8000",
        description="base of the deep links in notifications",
        validation_alias=_env("TRIAGE_PUBLIC_URL"),
    )

    # Reviewer API
    reviewers: SecretStr = Field(
        SecretStr(""),
        description="the dashboard's reviewers: `name:token[:role]`, comma-separated; "
        "role `admin` or `reviewer` (the default)",
        validation_alias=_env("TRIAGE_REVIEWERS"),
    )
    session_secret: SecretStr | None = Field(
        None,
        description="signs the dashboard's session cookies (API replicas share it); unset: a new one per start",
        validation_alias=_env("TRIAGE_SESSION_SECRET"),
    )
    # Single sign-on (OpenID Connect): on when the issuer is set (docs/access.md)
    oidc_issuer: str | None = Field(
        None,
        description="sign-on: the OpenID provider's issuer URL; unset: tokens only",
        validation_alias=_env("TRIAGE_OIDC_ISSUER"),
    )
    oidc_client_id: str = Field(
        "", description="sign-on: this app's client id", validation_alias=_env("TRIAGE_OIDC_CLIENT_ID")
    )
    oidc_client_secret: SecretStr = Field(
        SecretStr(""),
        description="sign-on: this app's client secret",
        validation_alias=_env("TRIAGE_OIDC_CLIENT_SECRET"),
    )
    oidc_scopes: str = Field(
        "openid email profile",
        description="sign-on: scopes asked for",
        validation_alias=_env("TRIAGE_OIDC_SCOPES"),
    )
    # Who may sign in (at least one of the two): email domains, groups; comma-separated.
    oidc_allowed_domains: str = Field(
        "",
        description="sign-on: email domains allowed in, comma-separated",
        validation_alias=_env("TRIAGE_OIDC_ALLOWED_DOMAINS"),
    )
    oidc_allowed_groups: str = Field(
        "",
        description="sign-on: groups allowed in, comma-separated",
        validation_alias=_env("TRIAGE_OIDC_ALLOWED_GROUPS"),
    )
    oidc_admin_groups: str = Field(
        "",
        description="sign-on: members of these groups are admins; everyone else allowed in is a reviewer",
        validation_alias=_env("TRIAGE_OIDC_ADMIN_GROUPS"),
    )
    oidc_groups_claim: str = Field(
        "groups",
        description="sign-on: the ID token claim that lists groups",
        validation_alias=_env("TRIAGE_OIDC_GROUPS_CLAIM"),
    )
    oidc_leeway_seconds: int = Field(
        60,
        ge=0,
        le=600,
        description="sign-on: clock difference tolerated on token times",
        validation_alias=_env("TRIAGE_OIDC_LEEWAY_SECONDS"),
    )
    api_host: str = Field(
        "127.0.0.1", description="the reviewer API's address", validation_alias=_env("TRIAGE_API_HOST")
    )
    api_port: int = Field(
        8000, description="the reviewer API's port", validation_alias=_env("TRIAGE_API_PORT")
    )

    # Observability
    metrics_port: int | None = Field(
        None,
        description="a worker's Prometheus metrics port (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_METRICS_PORT"),
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="the metrics endpoint's address",
        validation_alias=_env("TRIAGE_METRICS_HOST"),
    )

    # Worker
    max_concurrent_activities: int = Field(
        100,
        ge=1,
        description="activities a worker runs at once (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_MAX_CONCURRENT_ACTIVITIES"),
    )
    # Reviews wait for hours: each cached one costs ~170 KB (the SDK caches
    # 1,000); an evicted one replays its short history when a decision arrives.
    max_cached_workflows: int = Field(
        500,
        ge=0,
        description="workflows a worker keeps in memory (README, [Operations](../README.md#operations))",
        validation_alias=_env("TRIAGE_MAX_CACHED_WORKFLOWS"),
    )

    # Judge workers `triage up` starts (worker/judge.py): each takes at most one core.
    judge_processes: int = Field(
        1,
        ge=1,
        le=64,
        description="judge worker processes `triage up` starts (one per core)",
        validation_alias=_env("TRIAGE_JUDGE_PROCESSES"),
    )

    # Watcher
    watch_idle_timeout_seconds: float = Field(
        45.0,
        gt=0,
        description="seconds without a frame before the socket counts as half-open",
        validation_alias=_env("TRIAGE_WATCH_IDLE_TIMEOUT"),
    )
    catchup_max_pages: int = Field(
        50,
        ge=1,
        description="pages of the inbox the watcher reads to catch up on missed mail",
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

    def imap_account(self) -> ImapAccount:
        """The IMAP mailbox, every setting checked together; ValueError names what is wrong."""
        problems = []
        if not self.imap_host:
            problems.append("TRIAGE_IMAP_HOST is not set")
        if not self.imap_user:
            problems.append("TRIAGE_IMAP_USER is not set")
        if bool(self.imap_password and self.imap_password.get_secret_value()) == bool(
            self.imap_token_command
        ):
            problems.append("set exactly one of TRIAGE_IMAP_PASSWORD and TRIAGE_IMAP_TOKEN_COMMAND")
        user = self.imap_user or ""
        address = (self.imap_address or (user if "@" in user else "")).strip().lower()
        if not valid_address(address):
            problems.append("TRIAGE_IMAP_ADDRESS (the mailbox's own address) is not set or not an address")
        if problems:
            raise ValueError("IMAP mailbox misconfigured: " + "; ".join(problems))
        smtp_security = self.smtp_security or self.imap_security
        return ImapAccount(
            host=self.imap_host or "",
            port=self.imap_port or _IMAP_PORTS[self.imap_security],
            security=self.imap_security,
            user=self.imap_user or "",
            password=self.imap_password,
            token_command=self.imap_token_command,
            address=address,
            inbox_folder=self.imap_inbox_folder,
            drafts_folder=self.imap_drafts_folder,
            sent_folder=self.imap_sent_folder,
            save_sent=self.imap_save_sent,
            idle=self.imap_idle,
            poll_seconds=self.imap_poll_seconds,
            max_message_bytes=self.imap_max_message_bytes,
            smtp_host=self.smtp_host or self.imap_host or "",
            smtp_port=self.smtp_port or _SMTP_PORTS[smtp_security],
            smtp_security=smtp_security,
            timeout=self.mail_timeout_seconds,
        )

    @model_validator(mode="after")
    def _check_mailbox(self) -> Self:
        if self.mail_provider == "imap":
            self.imap_account()  # raises with every problem named, once, at load
        return self

    @property
    def judge_queue(self) -> str:
        return self.judge_task_queue or judge_queue_for(self.temporal_task_queue)

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

    def secret_values(self) -> list[str]:
        """Every configured secret, as logs must never show it (triage.logsafe)."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        ]
        return [v for v in [*values, *self.reviewer_tokens()] if v]

    def policy_settings(self) -> PolicySettings:
        return PolicySettings(
            auto_send_categories=self.auto_send_categories,
            confidence_threshold=self.confidence_threshold,
            require_kb_support=self.require_kb_support,
            ignored_flags=self.ignored_guard_flags,
            answer_threshold=self.answer_threshold,
            how_to_confidence_threshold=self.how_to_confidence_threshold,
            how_to_categories=self.how_to_categories,
            checked_languages=self.checked_languages,
            auto_reply_limit=self.auto_reply_limit,
            auto_reply_window=self.auto_reply_window,
            auto_reply_domain_limit=self.auto_reply_domain_limit,
            auto_reply_inbox_limit=self.auto_reply_inbox_limit,
            auto_reply_budget_window=self.auto_reply_budget_window,
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
