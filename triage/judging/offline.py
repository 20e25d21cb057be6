"""The offline provider: the shipped classifier and template drafts.

Classification is the calibrated linear model of ``triage.judging.classifier``
(milliseconds a message on one core, no network); drafts are the best
knowledge-base article, in the customer's language, in a fixed template (also
translated), or a holding reply that sends the message to review when no
article fits. A reply is written in Markdown and rendered twice: clean plain
text and sanitised HTML (``triage.domain.render``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

import numpy as np
from temporalio.exceptions import ApplicationError

from triage.domain.models import (
    DEFAULT_AUTO_SEND_CATEGORIES,
    DEFAULT_BRAND_NAME,
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    KbAnswer,
    KbCitation,
    LlmUsage,
    MessageAct,
)
from triage.domain.render import rendered
from triage.domain.replies import ACKNOWLEDGEMENTS, Holding, holding_reply, reply_text
from triage.domain.text import model_input, normalize_body
from triage.judging.base import TriageProvider
from triage.judging.classifier import TextClassifier
from triage.judging.guards import detect_guard_flags
from triage.judging.kb import Article, KnowledgeBase, LiveKnowledgeBase, answers
from triage.judging.language import detect_language
from triage.judging.meaning_head import MeaningHead, meaning_rows, shipped_head
from triage.judging.registry import BUILTIN, ModelRegistry

# Flags that mean the customer tells us something went wrong: "sorry for the trouble".
TROUBLE = frozenset({GuardFlag.PROBLEM_REPORT, GuardFlag.SECURITY, GuardFlag.DATA_LOSS})
# Flags whose messages a how-to cannot answer (a person will): trouble, and requests with legal weight.
REPORTED = TROUBLE | {GuardFlag.PRIVACY, GuardFlag.LEGAL}
# A declared question this close picks the article to draft from (the policy has its own,
# higher, threshold for sending without a human).
DRAFT_FROM_ANSWER_AT = 0.35
REDRAFT_NEEDS_LLM = "RedraftNeedsLlm"
# An offline draft is one of few texts (an article's answer or a holding reply, per language,
# brand and opening): each is rendered from Markdown once, not once per message.
_rendered_draft = lru_cache(maxsize=512)(rendered)


def _markdown_escape(text: str) -> str:
    """A title shown as a link's text: brackets and emphasis characters are text."""
    return "".join(f"\\{ch}" if ch in "\\[]*_`<>" else ch for ch in text)


@lru_cache(maxsize=1)
def shipped_classifier() -> TextClassifier:
    return TextClassifier.load()


class PromotedModel:
    """The version in force in a model registry, reloaded when a promotion or rollback changes it.

    One ``stat`` of the registry's index per message: a worker picks up a newly
    promoted model with its next message, without a restart.
    """

    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry
        self._stamp: tuple[int, int] | None = None
        self._model = shipped_classifier()

    def get(self) -> TextClassifier:
        stamp = self._registry.stamp()
        if stamp != self._stamp:
            version = self._registry.current()
            self._model = shipped_classifier() if version == BUILTIN else self._registry.load(version)
            self._stamp = stamp
        return self._model


class OfflineProvider(TriageProvider):
    name = "offline"

    def __init__(
        self,
        kb: KnowledgeBase | LiveKnowledgeBase | None = None,
        *,
        routine: Collection[Category] = DEFAULT_AUTO_SEND_CATEGORIES,
        brand: str = DEFAULT_BRAND_NAME,
        model: TextClassifier | PromotedModel | None = None,
        head: MeaningHead | None = None,
        joined: bool = True,
    ) -> None:
        self._kb = kb or KnowledgeBase.load()
        self._models = model if model is not None else shipped_classifier()
        # The encoder's reading of the category, joined with the TF-IDF model it was fitted with.
        self._head = head or shipped_head()
        # Off for the retrain gate: it compares TF-IDF models like with like (a retrained one
        # is read alone, the head joining only the model it was fitted with).
        self._joined = joined
        # The categories the send policy may answer alone (TRIAGE_AUTO_SEND_CATEGORIES):
        # confidence in a routine category is confidence in "may go out unseen".
        self._routine = frozenset(category.value for category in routine)
        self._brand = brand

    @property
    def _model(self) -> TextClassifier:
        return self._models.get() if isinstance(self._models, PromotedModel) else self._models

    def predict(self, subject: str, body: str) -> tuple[Category, float, str]:
        return self._predict(self._model, subject, body)

    def _predict(self, model: TextClassifier, subject: str, body: str) -> tuple[Category, float, str]:
        text = model_input(subject, body)
        scores = model.probabilities([text])
        calibration = model.calibration
        if self._joined and self._head.joins(model):
            # What the text means, joined with its words: the encoder's vectors are the ones
            # the act model read (cached), so this is one small matrix product.
            scores = self._head.joined(scores, meaning_rows([(subject, body)]))
            calibration = self._head.calibration
        probabilities = dict(zip(model.classes, scores[0].tolist(), strict=True))
        category = Category(max(probabilities, key=probabilities.__getitem__))
        confidence = probabilities[category.value]
        # The routine categories (faq and general by default) all mean "may go out
        # unseen": their sum is the routine confidence.
        if category.value in self._routine:
            confidence = sum(p for c, p in probabilities.items() if c in self._routine)
        # Lower on text unlike the training mail: the same confidence means the same everywhere.
        confidence = float(
            model.calibrated(np.array([min(confidence, 1.0)]), model.familiarity([text]), calibration)[0]
        )
        return category, min(confidence, 1.0), text

    async def classify(self, message: InboundMessage) -> Classification:
        model = self._model  # one version for the whole message, whatever is promoted meanwhile
        category, confidence, text = self._predict(model, message.subject, message.plain_body)
        if not text:
            confidence = 0.0
        flags = detect_guard_flags(message.subject, message.plain_body, message.body_chars)
        return Classification(
            category=category,
            confidence=confidence,
            language=detect_language(text),
            sentiment="negative" if GuardFlag.NEGATIVE_SENTIMENT in flags else "neutral",
            urgency="high" if GuardFlag.URGENT in flags else "normal",
            reason=f"{model.name}: {category.value} at {confidence:.2f}",
            guard_flags=flags,
            usage=LlmUsage(provider="offline", model=model.name, prompt_tokens=len(text.split())),
            model_version=model.name,
        )

    async def draft(self, request: DraftRequest) -> DraftReply:
        message = request.message
        classification = request.classification
        kb = self._kb.snapshot()
        answer = kb.answer(message.subject, normalize_body(message.plain_body))
        if request.instructions:
            return self._redraft(request, answer)
        flags = set(classification.guard_flags)
        if flags & REPORTED:
            # A report gets an acknowledgement, never the how-to it says has failed; the
            # sorry is for trouble only (a data request is no trouble of ours).
            kind = Holding.PROBLEM if flags & TROUBLE else Holding.QUESTION
            return self._holding(classification.language, answer, kind=kind)
        if GuardFlag.WITHDRAWN in flags:
            return self._holding(classification.language, answer, kind=Holding.WITHDRAWAL)
        changed = classification.act is MessageAct.CHANGES_REQUEST
        hit = self._article_for(kb, message, answer)
        if hit is None:
            return self._holding(classification.language, answer, kind=Holding.CHANGE if changed else None)
        article, score = hit
        # The article in the customer's language; without one, the default version is
        # drafted (in its own language, for the reviewer) and the policy holds the reply.
        shown = kb.version(article.id, classification.language) or article
        text = reply_text(shown.language, self._brand)
        link = (
            f"[{_markdown_escape(shown.title)}](<{shown.url}>)"
            if shown.url
            else _markdown_escape(shown.title)
        )
        # A changed request: the reply says it is about the change, then answers it.
        opening = text.update if changed else text.thanks
        source = (
            f"{text.greeting},\n\n{opening} {shown.body}\n\n"
            f"{text.more} {link}\n\n{text.closing}\n\n{text.signature}"
        )
        body, html = _rendered_draft(source)
        citation = KbCitation(article_id=article.id, title=shown.title, url=shown.url, score=score)
        grounded = answers(article, classification.category.value)
        return DraftReply(
            body=body,
            html_body=html,
            citations=[citation],
            grounded=grounded,
            answer=answer,
            article_language=shown.language,
            usage=self._usage(),
        )

    def _article_for(
        self, kb: KnowledgeBase, message: InboundMessage, answer: KbAnswer | None
    ) -> tuple[Article, float] | None:
        """The article whose declared question matches; else, for the reviewer, the closest one."""
        if answer is not None and answer.score >= DRAFT_FROM_ANSWER_AT:
            article = kb.article(answer.article_id)
            if article is not None:
                return article, answer.score
        return kb.best(model_input(message.subject, message.plain_body))

    def _holding(self, language: str, answer: KbAnswer | None, *, kind: Holding | None = None) -> DraftReply:
        body, html = _rendered_draft(holding_reply(self._brand, language, kind=kind))
        return DraftReply(body=body, html_body=html, grounded=False, answer=answer, usage=self._usage())

    def _redraft(self, request: DraftRequest, answer: KbAnswer | None) -> DraftReply:
        """Without an LLM the reviewer's instructions cannot be followed, and they
        are never text of the reply: the one other reply offered is the
        acknowledgement; past that, redrafting needs an LLM."""
        if any(ack in (request.previous_body or "") for ack in ACKNOWLEDGEMENTS):
            raise ApplicationError(
                "the offline model cannot follow redraft instructions: edit the draft, "
                "or configure an LLM (OPENAI_API_KEY)",
                type=REDRAFT_NEEDS_LLM,
                non_retryable=True,
            )
        return self._holding(request.classification.language, answer, kind=Holding.PROBLEM)

    def _usage(self) -> LlmUsage:
        return LlmUsage(provider="offline", model=self._model.name)
