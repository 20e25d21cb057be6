"""Pick the provider from configuration: OpenAI-compatible with a key, offline without."""

from __future__ import annotations

from typing import TYPE_CHECKING

from triage.judging.base import TriageProvider
from triage.runtime.config import Settings

if TYPE_CHECKING:
    from triage.judging.kb import KnowledgeBase, LiveKnowledgeBase
    from triage.judging.offline import OfflineProvider


def provider_name(settings: Settings) -> str:
    if settings.provider != "auto":
        return settings.provider
    return "openai" if settings.openai_api_key else "offline"


def offline_provider(settings: Settings, kb: KnowledgeBase | LiveKnowledgeBase) -> OfflineProvider:
    """The offline model in force (retrained versions too), its routine categories the policy's, its replies signed with the brand."""
    from triage.judging.offline import OfflineProvider, PromotedModel
    from triage.judging.registry import ModelRegistry

    return OfflineProvider(
        kb=kb,
        routine=settings.auto_send_categories,
        brand=settings.brand_name,
        model=PromotedModel(ModelRegistry(settings.model_dir)),
    )


def build_provider(settings: Settings, name: str | None = None) -> TriageProvider:
    from triage.judging.kb import load_knowledge_base

    kb = load_knowledge_base(settings.kb_dir)  # a folder of your own reloads when it changes
    chosen = name or provider_name(settings)
    if chosen == "openai":
        from triage.judging.first_pass import FirstPassProvider
        from triage.judging.openai_provider import OpenAIProvider

        llm = OpenAIProvider.from_settings(settings, kb=kb)
        if not settings.first_pass:
            return llm
        return FirstPassProvider(
            offline_provider(settings, kb), llm, settings.auto_send_categories, settings.first_pass_confidence
        )
    if chosen == "offline":
        return offline_provider(settings, kb)
    raise ValueError(f"unknown provider {chosen!r}: use auto, offline or openai")
