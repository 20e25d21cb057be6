"""Sending settings: the send policy, review timers and earned autonomy, with the models they fill.

The defaults are the workflow's models' (``PolicySettings``, ``ReviewSettings``,
``AutonomySettings``): the workflow carries them in its input.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from triage.domain.autonomy import AutonomySettings
from triage.domain.languages import checked_languages
from triage.domain.models import AutonomyMode, Category, GuardFlag, PolicySettings, ReviewSettings
from triage.runtime.config.fields import default_of, env_var


class SendingSettings(BaseModel):
    # Policy and review: the defaults are PolicySettings' and ReviewSettings' (the workflow's input).
    auto_send_categories: list[Category] = Field(
        default_of(PolicySettings, "auto_send_categories"),
        description="JSON list; also the categories whose probabilities the offline model adds up as its "
        "routine confidence",
        validation_alias=env_var("TRIAGE_AUTO_SEND_CATEGORIES"),
    )
    confidence_threshold: float = Field(
        default_of(PolicySettings, "confidence_threshold"),
        ge=0.0,
        le=1.0,
        description="the least confidence for an auto-send",
        validation_alias=env_var("TRIAGE_CONFIDENCE_THRESHOLD"),
    )
    require_kb_support: bool = Field(
        default_of(PolicySettings, "require_kb_support"),
        description="an auto-send must be grounded in a knowledge-base article",
        validation_alias=env_var("TRIAGE_REQUIRE_KB_SUPPORT"),
    )
    answer_threshold: float = Field(
        default_of(PolicySettings, "answer_threshold"),
        ge=0.0,
        le=1.0,
        description="how closely the customer's question must match one an article declares (0-1)",
        validation_alias=env_var("TRIAGE_ANSWER_THRESHOLD"),
    )
    how_to_confidence_threshold: float | None = Field(
        default_of(PolicySettings, "how_to_confidence_threshold"),
        ge=0.0,
        le=1.0,
        description="the least confidence for a how-to question an article answers with nothing left "
        "unanswered and no guard flag (the act, not the category, makes it routine); set it to the "
        "confidence threshold to turn this off",
        validation_alias=env_var("TRIAGE_HOW_TO_CONFIDENCE_THRESHOLD"),
    )
    how_to_categories: list[Category] = Field(
        default_of(PolicySettings, "how_to_categories"),
        description='JSON list of categories otherwise always reviewed (e.g. ["billing"]) whose how-to '
        "questions an article answers may go out alone",
        validation_alias=env_var("TRIAGE_HOW_TO_CATEGORIES"),
    )
    # Unset, the workflow's model default applies: every complete language pack (read when
    # the policy is built, so that a broken pack is reported by the command that reads it).
    checked_languages: list[str] | None = Field(
        None,
        description="JSON list: the languages the problem-report checks read, at most those of the complete "
        "language packs (`triage lang check`); unset: every complete pack (en, de, fr, es as shipped); a message "
        "in another language waits for a human",
        validation_alias=env_var("TRIAGE_CHECKED_LANGUAGES"),
    )
    ignored_guard_flags: list[GuardFlag] = Field(
        default_of(PolicySettings, "ignored_flags"),
        description="JSON list of guard flags that do not block an auto-send (empty: every flag blocks)",
        validation_alias=env_var("TRIAGE_IGNORED_GUARD_FLAGS"),
    )
    auto_reply_limit: int = Field(
        default_of(PolicySettings, "auto_reply_limit"),
        ge=0,
        description="automatic replies per sender per window; more wait for a human",
        validation_alias=env_var("TRIAGE_AUTO_REPLY_LIMIT"),
    )
    auto_reply_window: timedelta = Field(
        default_of(PolicySettings, "auto_reply_window"),
        description="the window of `TRIAGE_AUTO_REPLY_LIMIT`",
        validation_alias=env_var("TRIAGE_AUTO_REPLY_WINDOW"),
    )
    # However a sender spells its address: per registrable domain and per inbox, per budget window.
    auto_reply_domain_limit: int = Field(
        default_of(PolicySettings, "auto_reply_domain_limit"),
        ge=0,
        description="automatic replies per registrable domain per budget window (sub-domains count as one)",
        validation_alias=env_var("TRIAGE_AUTO_REPLY_DOMAIN_LIMIT"),
    )
    auto_reply_inbox_limit: int = Field(
        default_of(PolicySettings, "auto_reply_inbox_limit"),
        ge=0,
        description="automatic replies from the whole inbox per budget window",
        validation_alias=env_var("TRIAGE_AUTO_REPLY_INBOX_LIMIT"),
    )
    auto_reply_budget_window: timedelta = Field(
        default_of(PolicySettings, "auto_reply_budget_window"),
        description="the window of `TRIAGE_AUTO_REPLY_DOMAIN_LIMIT` and `TRIAGE_AUTO_REPLY_INBOX_LIMIT`",
        validation_alias=env_var("TRIAGE_AUTO_REPLY_BUDGET_WINDOW"),
    )
    review_reminder_after: timedelta = Field(
        default_of(ReviewSettings, "reminder_after"),
        description="a pending review's reminder (ISO-8601 duration or seconds)",
        validation_alias=env_var("TRIAGE_REVIEW_TIMEOUT"),
    )
    review_expire_after: timedelta = Field(
        default_of(ReviewSettings, "expire_after"),
        description="a pending review becomes `expired` (ISO-8601 duration or seconds)",
        validation_alias=env_var("TRIAGE_REVIEW_EXPIRY"),
    )
    brand_name: str = Field(
        default_of(PolicySettings, "brand_name"),
        min_length=1,
        max_length=200,
        description="the team the template and holding replies are signed by",
        validation_alias=env_var("TRIAGE_BRAND_NAME"),
    )

    # Earned autonomy (triage/domain/autonomy/): shadow first, auto once earned; defaults are AutonomySettings'.
    autonomy: AutonomyMode | None = Field(
        default_of(AutonomySettings, "default_mode"),
        description="`review`, `shadow` or `auto` for every category and article not set below (unset: "
        "`auto`); `shadow` is recommended for a team's first weeks",
        validation_alias=env_var("TRIAGE_AUTONOMY"),
    )
    autonomy_categories: dict[Category, AutonomyMode] = Field(
        default_of(AutonomySettings, "categories"),
        description="JSON object: a mode per category",
        validation_alias=env_var("TRIAGE_AUTONOMY_CATEGORIES"),
    )
    autonomy_articles: dict[str, AutonomyMode] = Field(
        default_of(AutonomySettings, "articles"),
        description="JSON object: a mode per knowledge-base article id",
        validation_alias=env_var("TRIAGE_AUTONOMY_ARTICLES"),
    )
    autonomy_promote_after: int = Field(
        default_of(AutonomySettings, "promote_after"),
        ge=1,
        description="shadow verdicts needed before auto",
        validation_alias=env_var("TRIAGE_AUTONOMY_PROMOTE_AFTER"),
    )
    autonomy_promote_agree_rate: float = Field(
        default_of(AutonomySettings, "promote_agree_rate"),
        ge=0.0,
        le=1.0,
        description="the share of shadow verdicts reviewers must agree with before auto",
        validation_alias=env_var("TRIAGE_AUTONOMY_AGREE_RATE"),
    )
    autonomy_window: timedelta = Field(
        default_of(AutonomySettings, "window"),
        description="the rolling window the autonomy figures cover",
        validation_alias=env_var("TRIAGE_AUTONOMY_WINDOW"),
    )
    model_dir: Path = Field(
        Path(".data/models"),
        description="retrained offline models and the one in force (shared by workers, "
        "CLI and the retrain workflow); the packaged model until a promotion",
        validation_alias=env_var("TRIAGE_MODEL_DIR"),
    )
    autonomy_mode_max_age: timedelta = Field(
        timedelta(seconds=1),
        ge=timedelta(0),
        le=timedelta(minutes=1),
        description="how old a worker's copy of the modes in force may be (a change applies within it; a burst "
        "reads the modes once per worker)",
        validation_alias=env_var("TRIAGE_AUTONOMY_MODE_MAX_AGE"),
    )

    @field_validator("checked_languages")
    @classmethod
    def _only_complete_packs(cls, languages: list[str] | None) -> list[str] | None:
        """The setting narrows the complete packs: a language without checks cannot be named into them."""
        unchecked = [code for code in languages or [] if code not in checked_languages()]
        if unchecked:
            raise ValueError(
                f"no complete language pack for {', '.join(unchecked)} (see `triage lang check`); "
                f"checked: {', '.join(checked_languages())}"
            )
        return languages

    def policy_settings(self) -> PolicySettings:
        languages = {} if self.checked_languages is None else {"checked_languages": self.checked_languages}
        return PolicySettings(
            **languages,
            auto_send_categories=self.auto_send_categories,
            confidence_threshold=self.confidence_threshold,
            require_kb_support=self.require_kb_support,
            ignored_flags=self.ignored_guard_flags,
            answer_threshold=self.answer_threshold,
            how_to_confidence_threshold=self.how_to_confidence_threshold,
            how_to_categories=self.how_to_categories,
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
