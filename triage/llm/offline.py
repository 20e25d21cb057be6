"""The offline provider: the shipped classifier and template drafts.

Classification is the calibrated linear model of ``triage.llm.classifier``
(milliseconds a message on one core, no network); drafts are the best
knowledge-base article in a fixed template, or a holding reply that sends the
message to review when no article fits.
"""

from __future__ import annotations

import re
from functools import lru_cache

from triage.kb import KnowledgeBase, answers
from triage.llm.base import TriageProvider
from triage.llm.classifier import TextClassifier
from triage.llm.guards import detect_guard_flags
from triage.llm.text import model_input
from triage.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    KbCitation,
    LlmUsage,
)

ROUTINE = frozenset({Category.GENERAL.value, Category.FAQ.value})

_STOPWORDS = {
    "de": {"ich", "und", "nicht", "ist", "mein", "meine", "bitte", "wie", "das", "der", "die", "mit", "hallo", "für"},
    "fr": {"je", "et", "est", "mon", "ma", "pas", "bonjour", "pour", "avec", "une", "les", "des", "merci", "comment"},
    "es": {"yo", "mi", "es", "por", "favor", "hola", "para", "con", "una", "los", "las", "cómo", "gracias", "el"},
    "pt": {"eu", "minha", "meu", "não", "olá", "obrigado", "para", "com", "uma", "os", "como", "fui", "ao"},
    "en": {"i", "my", "the", "and", "is", "please", "how", "to", "a", "with", "for", "hello", "thanks", "you"},
}
_GREETING = {"de": "Hallo", "fr": "Bonjour", "es": "Hola", "pt": "Olá", "en": "Hello"}


def detect_language(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"


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
        language = request.classification.language
        greeting = _GREETING.get(language, "Hello")
        hit = self._kb.best(model_input(message.subject, message.plain_body))
        note = ""
        if language != "en":
            note = "(We answer in English for now; reply in your language and a teammate will help.)\n\n"
        if request.instructions:
            note += f"[Revised on a reviewer's request: {request.instructions.strip()[:300]}]\n\n"
        if hit is None:
            body = (
                f"{greeting},\n\n{note}Thank you for your message. A member of our support team "
                "will look into it and get back to you personally.\n\n— Acme Help support"
            )
            return DraftReply(body=body, grounded=False, usage=self._usage())
        article, score = hit
        body = (
            f"{greeting},\n\n{note}Thanks for getting in touch. {article.body}\n\n"
            f"More in our help centre: {article.title} — {article.url or article.id}\n\n"
            "If that does not answer your question, just reply to this email.\n\n— Acme Help support"
        )
        citation = KbCitation(article_id=article.id, title=article.title, url=article.url, score=score)
        grounded = answers(article, request.classification.category.value)
        return DraftReply(body=body, citations=[citation], grounded=grounded, usage=self._usage())

    def _usage(self) -> LlmUsage:
        return LlmUsage(provider="offline", model=self._model.name)
