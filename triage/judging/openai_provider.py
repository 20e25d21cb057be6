"""Classify and draft with any OpenAI-compatible chat-completions API.

Structured output: the SDK turns the pydantic models of ``triage.judging.openai_schema`` into a strict JSON
schema and parses the answer with them, so anything the model returns off
that schema, a refusal or a cut-off answer becomes ``ProviderOutputError``
(the activity sends the message to a human instead of retrying). A malformed
or cut-off answer is asked for once more first: sampling models (a small local
one above all) often get it right the second time.

The client never retries (``max_retries=0``): Temporal owns retries, so
transport failures become ``ApplicationError`` with the right retryability,
and a 429's Retry-After becomes the next retry delay.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Protocol, TypeVar

import openai
import pydantic
from openai import AsyncOpenAI
from pydantic import BaseModel

from triage.domain.models import (
    MAX_REASON_CHARS,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    KbAnswer,
    KbCitation,
    LlmUsage,
)
from triage.domain.render import rendered
from triage.judging.base import ProviderOutputError, TriageProvider
from triage.judging.call_slots import CallSlots
from triage.judging.kb import KB_MIN_SCORE
from triage.judging.kb_articles import answers
from triage.judging.openai_errors import raise_transport_error
from triage.judging.openai_schema import ClassificationOutput, DraftOutput
from triage.judging.prompts import (
    PromptArticle,
    classify_messages,
    draft_messages,
    email_text,
    search_text,
)
from triage.runtime.config import Settings

KB_TOP_K = 3
MAX_COMPLETION_TOKENS = Settings.model_fields["llm_max_tokens"].default


class KbArticle(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def body(self) -> str: ...
    @property
    def categories(self) -> Sequence[str]: ...


class KnowledgeSearch(Protocol):
    """What the provider needs of ``triage.judging.kb.KnowledgeBase``."""

    def search(self, text: str, k: int = 3) -> Sequence[tuple[KbArticle, float]]: ...

    def answer(self, subject: str, body: str) -> KbAnswer | None: ...

    def article(self, article_id: str) -> KbArticle | None: ...

    # Optional: ``version(article_id, language)``, the article in a language (triage.judging.kb).


_Output = TypeVar("_Output", bound=BaseModel)


class MalformedOutput(ProviderOutputError):
    """Off-schema, invalid or cut off: worth asking once more (a refusal is not)."""


class OpenAIProvider(TriageProvider):
    name = "openai"

    def __init__(
        self,
        client: AsyncOpenAI,
        classify_model: str,
        draft_model: str,
        kb: KnowledgeSearch | None,
        max_tokens: int = MAX_COMPLETION_TOKENS,
    ) -> None:
        self._client = client
        self._calls: CallSlots | None = None  # limit_calls: held only while a request is in flight
        self._classify_model = classify_model
        self._draft_model = draft_model
        self._kb = kb  # None: every draft is ungrounded
        self._max_tokens = max_tokens

    @classmethod
    def from_settings(cls, settings: Settings, kb: KnowledgeSearch | None = None) -> OpenAIProvider:
        if kb is None:
            from triage.judging.kb import load_knowledge_base

            kb = load_knowledge_base(settings.kb_dir)
        if settings.openai_api_key is not None:
            api_key = settings.openai_api_key.get_secret_value()
        elif settings.openai_base_url:
            api_key = "unused"  # local OpenAI-compatible servers (Ollama, vLLM) need no key
        else:
            raise ValueError("the openai provider needs OPENAI_API_KEY (or OPENAI_BASE_URL)")
        client = AsyncOpenAI(
            api_key=api_key,
            base_url=settings.openai_base_url,
            max_retries=0,
            timeout=settings.llm_timeout_seconds,
        )
        return cls(client, settings.classify_model, settings.draft_model, kb, settings.llm_max_tokens)

    async def aclose(self) -> None:
        await self._client.close()

    def limit_calls(self, slots: CallSlots) -> None:
        self._calls = slots

    async def classify(self, message: InboundMessage) -> Classification:
        output, usage = await self._complete(
            self._classify_model, classify_messages(message), ClassificationOutput
        )
        flags = {GuardFlag(flag) for flag in output.guard_flags}
        evidence = []
        if output.reports_problem:
            # The stricter of the LLM and the offline checks wins: either one is enough.
            flags.add(GuardFlag.PROBLEM_REPORT)
            evidence.append("problem_report (the LLM reads a problem report)")
        return Classification(
            category=output.category,
            confidence=output.confidence,
            language=output.language,
            sentiment=output.sentiment,
            urgency=output.urgency,
            reason=output.reason.strip()[:MAX_REASON_CHARS],
            guard_flags=sorted(flags),
            evidence=evidence,
            usage=usage,
            model_version=self._classify_model,
        )

    async def draft(self, request: DraftRequest) -> DraftReply:
        answer = self._answer(request.message)
        retrieved = self._retrieve(request.message, answer, request.classification.language)
        articles = [article for article, _ in retrieved]
        output, usage = await self._complete(
            self._draft_model, draft_messages(request, articles, answer), DraftOutput
        )
        if not output.body.strip():
            raise ProviderOutputError("draft output has an empty body")
        # Whatever Markdown the model writes, the plain part shows none of it.
        body, html = rendered(output.body.strip())
        # Cite only what we actually gave the model: an id it made up is no support.
        used_ids = set(output.used_article_ids)
        used = [(article, score) for article, score in retrieved if article.id in used_ids]
        citations = [
            KbCitation(article_id=article.id, title=article.title, url=article.url, score=score)
            for article, score in used
        ]
        category = request.classification.category.value
        if answer is not None:
            answer = answer.model_copy(
                update={"confirmed_by_model": output.answering_article_id == answer.article_id}
            )
        # The language of the article text the reply rests on: the answering article's,
        # else the first one used.
        relied = [a for a, _ in used if answer is not None and a.id == answer.article_id] or [
            a for a, _ in used
        ]
        return DraftReply(
            body=body,
            html_body=html,
            article_language=relied[0].language if relied else None,
            citations=citations,
            grounded=output.grounded and any(answers(article, category) for article, _ in used),
            answer=answer,
            usage=usage,
        )

    def _answer(self, message: InboundMessage) -> KbAnswer | None:
        if self._kb is None:
            return None
        body, _ = email_text(message)
        return self._kb.answer(message.subject, body)

    def _retrieve(
        self, message: InboundMessage, answer: KbAnswer | None, language: str = "en"
    ) -> list[tuple[PromptArticle, float]]:
        if self._kb is None:
            return []
        hits = [
            (a, score)
            for a, score in self._kb.search(search_text(message), k=KB_TOP_K)
            if score >= KB_MIN_SCORE
        ]
        # The article whose declared question matched is always shown: the model must
        # be able to confirm (or not) that it answers.
        if answer is not None and all(a.id != answer.article_id for a, _ in hits):
            article = self._kb.article(answer.article_id)
            if article is not None:
                hits.append((article, answer.score))
        # Each article in the customer's language where the knowledge base has it.
        version = getattr(self._kb, "version", None)
        shown = [((version(a.id, language) if version else None) or a, score) for a, score in hits]
        return [
            (
                PromptArticle(
                    id=a.id,
                    title=a.title,
                    url=a.url,
                    body=a.body,
                    categories=a.categories,
                    language=getattr(a, "language", "en"),
                ),
                score,
            )
            for a, score in shown
        ]

    async def _complete(
        self,
        model: str,
        messages: list[dict[str, str]],
        output_type: type[_Output],
    ) -> tuple[_Output, LlmUsage]:
        """One structured answer; an unusable one is asked for once more, then given up on.

        A sampling model that broke its JSON once usually does not twice, so a
        second answer is cheap; a third rarely helps, and the caller sends the
        message to a human on ``ProviderOutputError`` (never a retry loop). A
        refusal is not asked again: it is the model's answer.
        """
        try:
            return await self._complete_once(model, messages, output_type)
        except MalformedOutput:
            return await self._complete_once(model, messages, output_type)

    async def _complete_once(
        self,
        model: str,
        messages: list[dict[str, str]],
        output_type: type[_Output],
    ) -> tuple[_Output, LlmUsage]:
        what = output_type.__name__
        try:
            async with self._calls.held() if self._calls else contextlib.nullcontext():
                completion = await self._client.chat.completions.parse(
                    model=model,
                    messages=messages,  # type: ignore[arg-type]
                    response_format=output_type,
                    # No temperature: reasoning models reject anything but the default.
                    max_completion_tokens=self._max_tokens,
                )
        except openai.LengthFinishReasonError:
            raise MalformedOutput(f"{what}: answer cut off (finish_reason=length)") from None
        except openai.ContentFilterFinishReasonError:
            raise ProviderOutputError(f"{what}: answer blocked (finish_reason=content_filter)") from None
        except pydantic.ValidationError as err:
            # Only the failing fields: the message itself may quote the email.
            fields = sorted({".".join(str(p) for p in e["loc"]) or "<root>" for e in err.errors()})
            raise MalformedOutput(f"{what}: invalid output ({', '.join(fields)[:200]})") from None
        except openai.APIError as err:
            raise_transport_error(err)
        if not completion.choices:
            raise MalformedOutput(f"{what}: no choices in the answer")
        message = completion.choices[0].message
        if message.refusal:
            raise ProviderOutputError(f"{what}: the model refused")
        if message.parsed is None:
            raise MalformedOutput(f"{what}: empty answer")
        usage = LlmUsage(
            provider=self.name,
            model=completion.model or model,
            prompt_tokens=completion.usage.prompt_tokens if completion.usage else 0,
            completion_tokens=completion.usage.completion_tokens if completion.usage else 0,
        )
        return message.parsed, usage
