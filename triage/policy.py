"""The send policy: when may a drafted reply go out without a human?

A pure function so it can be table-tested and replayed: a wrong auto-send
(a billing dispute answered by a bot, a how-to sent to someone telling us the
how-to failed) is the failure users fear most, so every condition must hold,
and any doubt sends the message to review. It only combines facts computed
elsewhere, each in one place:

* the classification (category, confidence, language) from the provider;
* the guard flags and their evidence (``triage.llm.guards``, which reads the
  customer's situation in ``triage.llm.situation``), plus the LLM's own flags;
* the answer: the declared KB question closest to what was asked
  (``KnowledgeBase.answer``), confirmed by the LLM when there is one;
* the draft's citations and grounding;
* the conversation (a follow-up in a thread) and the sender's automatic-reply
  count (``MessageContext``), kept by Temporal workflows per thread and sender;
* the autonomy mode in force for the answering article or the category
  (``triage.autonomy``): only when every other check passed does it matter,
  and then ``shadow`` and ``review`` hold the reply for a human.

Every reason it gives is shown as is by the workflow, ``triage eval`` and the
reviewer's page.
"""

from __future__ import annotations

from triage.models import (
    AutonomyMode,
    Classification,
    DraftReply,
    KbAnswer,
    MessageContext,
    ModeInForce,
    PolicyDecision,
    PolicySettings,
)

NO_ANSWER = "no article answers this question"
NO_ARTICLE_IN = "no article in"
FOLLOW_UP = "follow-up in a conversation"
AUTO_REPLY_LIMIT = "automatic-reply limit"
WOULD_HAVE_SENT = "would have been sent automatically"


def _answer_reasons(answer: KbAnswer | None, reply: DraftReply, threshold: float) -> list[str]:
    if answer is None:
        return [NO_ANSWER]
    reasons = []
    if answer.score < threshold:
        # The score is the acceptance model's probability that the article answers it.
        reasons.append(
            f'{NO_ANSWER} (closest: "{answer.question}" of {answer.article_id}, '
            f"{answer.score:.2f} likely to answer it < {threshold:.2f})"
        )
    elif answer.article_id not in {c.article_id for c in reply.citations}:
        reasons.append(f"the reply does not cite the answering article ({answer.article_id})")
    if answer.confirmed_by_model is False:
        reasons.append(f"the LLM does not confirm that {answer.article_id} answers it")
    if answer.unanswered:
        # Each with what it asks that the article leaves out, when the KB said (triage.kb.unmentioned).
        asked = "; ".join(answer.unanswered)
        reasons.append(f"the message asks {len(answer.unanswered)} more question(s) the article does not answer: {asked}")
    return reasons


def decide(
    classification: Classification,
    reply: DraftReply,
    settings: PolicySettings,
    context: MessageContext | None = None,
    mode: ModeInForce | None = None,
) -> PolicyDecision:
    reasons: list[str] = []
    if context is not None and context.follow_up:
        reasons.append(FOLLOW_UP)
    if context is not None and (limit := context.auto_reply_limit_reached) is not None:
        reasons.append(f"{AUTO_REPLY_LIMIT}: {limit.used} of {limit.limit} already sent to this sender")
    category = classification.category
    if category not in settings.auto_send_categories:
        reasons.append(f"category {category.value} always goes to review")
    if classification.confidence < settings.confidence_threshold:
        reasons.append(
            f"confidence {classification.confidence:.2f} is below "
            f"the threshold {settings.confidence_threshold:.2f}"
        )
    languages = settings.checked_languages
    if languages is not None and classification.language not in languages:
        reasons.append(f"no problem-report checks for language {classification.language!r}")
    if reply.article_language is not None and reply.article_language != classification.language:
        # The knowledge base has the answer, but not in the customer's language.
        reasons.append(f"{NO_ARTICLE_IN} {classification.language}")
    if settings.require_kb_support and not reply.grounded:
        reasons.append("no knowledge-base article supports the reply")
    if settings.answer_threshold is not None:
        reasons.extend(_answer_reasons(reply.answer, reply, settings.answer_threshold))
    blocking = sorted({f for f in classification.guard_flags if f not in settings.ignored_flags})
    if blocking:
        reasons.append("guard flags: " + ", ".join(f.value for f in blocking))
        reasons.extend(classification.evidence)
    would_auto_send = not reasons
    if would_auto_send and mode is not None and mode.mode is not AutonomyMode.AUTO:
        where = "by default" if mode.scope == "default" else f"for {mode.scope}"
        reasons.append(f"{mode.mode.value} mode {where}: {WOULD_HAVE_SENT}")
    return PolicyDecision(
        auto_send=not reasons, reasons=reasons, answer=reply.answer, would_auto_send=would_auto_send, mode=mode
    )
