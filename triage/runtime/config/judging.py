"""Judging settings: the LLM (or the offline model), its limits, the first pass and the knowledge base."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from triage.runtime.config.fields import env_var


class JudgingSettings(BaseModel):
    openai_api_key: SecretStr | None = Field(
        None,
        description="use an OpenAI-compatible LLM instead of the offline model",
        validation_alias=env_var("OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        None,
        description="the LLM's base URL (any OpenAI-compatible API)",
        validation_alias=env_var("OPENAI_BASE_URL"),
    )
    classify_model: str = Field(
        "gpt-4o-mini",
        description="the model that classifies",
        validation_alias=env_var("TRIAGE_CLASSIFY_MODEL"),
    )
    draft_model: str = Field(
        "gpt-4o-mini",
        description="the model that drafts replies",
        validation_alias=env_var("TRIAGE_DRAFT_MODEL"),
    )
    provider: str = Field(
        "auto",
        description="`auto` (openai with a key, offline without), `offline`, `openai`",
        validation_alias=env_var("TRIAGE_PROVIDER"),
    )
    llm_timeout_seconds: float = Field(
        60.0, description="seconds an LLM call may take", validation_alias=env_var("TRIAGE_LLM_TIMEOUT")
    )
    llm_concurrency: int = Field(
        8,
        ge=1,
        description="in-flight LLM calls per worker (README, [Operations](../README.md#operations))",
        validation_alias=env_var("TRIAGE_LLM_CONCURRENCY"),
    )
    # Bounds a looping model's answer (and bill). Generous because reasoning models spend
    # hidden tokens from the same budget: too tight turns answers into "length".
    llm_max_tokens: int = Field(
        4_000,
        ge=16,
        description="the most tokens an LLM answer may take",
        validation_alias=env_var("TRIAGE_LLM_MAX_TOKENS"),
    )
    kb_dir: Path | None = Field(
        None,
        description="your own help-centre Markdown (per language, reloaded when it changes; check it "
        "with `triage kb check`); unset: the packaged articles",
        validation_alias=env_var("TRIAGE_KB_DIR"),
    )
    # The offline model reads every message before the LLM (triage/judging/first_pass.py).
    first_pass: bool = Field(
        True,
        description="with the openai provider, the offline model reads every message first",
        validation_alias=env_var("TRIAGE_FIRST_PASS"),
    )
    first_pass_confidence: float = Field(
        0.9,
        ge=0.5,
        le=1.0,
        description="the offline model's confidence that settles a message without the LLM",
        validation_alias=env_var("TRIAGE_FIRST_PASS_CONFIDENCE"),
    )
