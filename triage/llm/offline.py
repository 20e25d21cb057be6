"""The offline provider: the shipped classifier and template drafts.

Classification is the calibrated linear model of ``triage.llm.classifier``
(milliseconds a message on one core, no network); drafts are the best
knowledge-base article in a fixed template, or a holding reply that sends the
message to review when no article fits.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from temporalio.exceptions import ApplicationError

from triage.kb import Article, KnowledgeBase, answers
from triage.llm.base import TriageProvider
from triage.llm.classifier import TextClassifier
from triage.llm.guards import detect_guard_flags
from triage.llm.language import detect_language
from triage.llm.text import model_input, normalize_body
from triage.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    KbAnswer,
    KbCitation,
    LlmUsage,
)

ROUTINE = frozenset({Category.GENERAL.value, Category.FAQ.value})
# Flags that mean the customer tells us something happened: they get an acknowledgement.
REPORTED = frozenset(
    {GuardFlag.PROBLEM_REPORT, GuardFlag.PRIVACY, GuardFlag.SECURITY, GuardFlag.LEGAL, GuardFlag.DATA_LOSS}
)
# A declared question this close picks the article to draft from (the policy has its own,
# higher, threshold for sending without a human).
DRAFT_FROM_ANSWER_AT = 0.35
HOLDING = (
    "Thank you for your message. A member of our support team will look into it "
    "and get back to you personally."
)
ACKNOWLEDGEMENT = (
    "Thank you for letting us know, and sorry for the trouble. A member of our support "
    "team is looking into it and will reply to you personally."
)
REDRAFT_NEEDS_LLM = "RedraftNeedsLlm"

_GREETING = {"de": "Hallo", "fr": "Bonjour", "es": "Hola", "pt": "Olá", "en": "Hello"}


@lru_cache(maxsize=1)
def shipped_classifier() -> TextClassifier:
    return TextClassifier.load()


class OfflineProvider(TriageProvider):
    name = "offline"

    def __init__(self, kb: KnowledgeBase | None = None) -> None:
        self._kb = kb or KnowledgeBase.load()
        self._model = shipped_classifier()

    def predict(self, subject: str, body: str) -> tuple[Category, float, str]:
        text = model_input(subject, body)
        probabilities = dict(zip(self._model.classes, self._model.probabilities([text])[0].tolist(), strict=True))
        category = Category(max(probabilities, key=probabilities.__getitem__))
        confidence = probabilities[category.value]
        # faq and general both mean "routine": their sum is the routine confidence.
        if category.value in ROUTINE:
            confidence = sum(p for c, p in probabilities.items() if c in ROUTINE)
        # Lower on text unlike the training mail: the same confidence means the same everywhere.
        confidence = float(self._model.calibrated(np.array([min(confidence, 1.0)]), self._model.familiarity([text]))[0])
        return category, min(confidence, 1.0), text

    async def classify(self, message: InboundMessage) -> Classification:
        category, confidence, text = self.predict(message.subject, message.plain_body)
        if not text:
            confidence = 0.0
        flags = detect_guard_flags(message.subject, message.plain_body, message.body_chars)
        return Classification(
            category=category,
            confidence=confidence,
            language=detect_language(text),
            sentiment="negative" if GuardFlag.NEGATIVE_SENTIMENT in flags else "neutral",
            urgency="high" if GuardFlag.URGENT in flags else "normal",
            reason=f"{self._model.name}: {category.value} at {confidence:.2f}",
            guard_flags=flags,
            usage=LlmUsage(provider="offline", model=self._model.name, prompt_tokens=len(text.split())),
        )

    async def draft(self, request: DraftRequest) -> DraftReply:
        message = request.message
        classification = request.classification
        greeting = _GREETING.get(classification.language, "Hello")
        answer = self._kb.answer(message.subject, normalize_body(message.plain_body))
        if request.instructions:
            return self._redraft(request, greeting, answer)
        note = ""
        if classification.language != "en":
            note = "(We answer in English for now; reply in your language and a teammate will help.)\n\n"
        if REPORTED.intersection(classification.guard_flags):
            # A report gets an acknowledgement, never the how-to it says has failed.
            return self._holding(greeting, note, answer, ACKNOWLEDGEMENT)
        hit = self._article_for(message, answer)
        if hit is None:
            return self._holding(greeting, note, answer, HOLDING)
        article, score = hit
        body = (
            f"{greeting},\n\n{note}Thanks for getting in touch. {article.body}\n\n"
            f"More in our help centre: {article.title} — {article.url or article.id}\n\n"
            "If that does not answer your question, just reply to this email.\n\n— Acme Help support"
        )
        citation = KbCitation(article_id=article.id, title=article.title, url=article.url, score=score)
        grounded = answers(article, classification.category.value)
        return DraftReply(body=body, citations=[citation], grounded=grounded, answer=answer, usage=self._usage())

    def _article_for(self, message: InboundMessage, answer: KbAnswer | None) -> tuple[Article, float] | None:
        """The article whose declared question matches; else, for the reviewer, the closest one."""
        if answer is not None and answer.score >= DRAFT_FROM_ANSWER_AT:
            article = self._kb.article(answer.article_id)
            if article is not None:
                return article, answer.score
        return self._kb.best(model_input(message.subject, message.plain_body))

    def _holding(self, greeting: str, note: str, answer: KbAnswer | None, text: str) -> DraftReply:
        body = f"{greeting},\n\n{note}{text}\n\n— Acme Help support"
        return DraftReply(body=body, grounded=False, answer=answer, usage=self._usage())

    def _redraft(self, request: DraftRequest, greeting: str, answer: KbAnswer | None) -> DraftReply:
        """Without an LLM the reviewer's instructions cannot be followed, and they
        are never text of the reply: the one other reply offered is the
        acknowledgement; past that, redrafting needs an LLM."""
        if ACKNOWLEDGEMENT in (request.previous_body or ""):
            raise ApplicationError(
                "the offline model cannot follow redraft instructions: edit the draft, "
                "or configure an LLM (OPENAI_API_KEY)",
                type=REDRAFT_NEEDS_LLM,
                non_retryable=True,
            )
        return self._holding(greeting, "", answer, ACKNOWLEDGEMENT)

    def _usage(self) -> LlmUsage:
        return LlmUsage(provider="offline", model=self._model.name)
