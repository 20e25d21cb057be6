"""The send policy: when may a drafted reply go out without a human?

A pure function so it can be table-tested and replayed: a wrong auto-send
(a billing dispute answered by a bot, a how-to sent to someone telling us the
how-to failed) is the failure users fear most, so every condition must hold,
and any doubt sends the message to review. It only combines facts computed
elsewhere, each in one place:

* the classification (category, confidence, language) from the provider;
* the guard flags and their evidence (``triage.judging.guards``, which reads the
  customer's situation in ``triage.judging.situation``), plus the LLM's own flags;
* the answer: the declared KB question closest to what was asked
  (``KnowledgeBase.answer``), confirmed by the LLM when there is one;
* the draft's citations and grounding;
* the conversation (a follow-up in a thread) and the sender's automatic-reply
  count (``MessageContext``), kept by Temporal workflows per thread and sender;
* the autonomy mode in force for the answering article or the category
  (``triage.domain.autonomy``): only when every other check passed does it matter,
  and then ``shadow`` and ``review`` hold the reply for a human.

Every reason it gives is shown as is by the workflow, ``triage eval`` and the
reviewer's page, cause first: the first reason is the main one (what the
customer's message is: a legal threat, a dispute, a billing question), the
others follow as "also", down to side effects of the cause (a reply no article
supports because no article answers the question).
"""

from __future__ import annotations

from enum import IntEnum

from triage.domain.models import (
    AutonomyMode,
    Classification,
    DraftReply,
    GuardFlag,
    KbAnswer,
    MessageAct,
    MessageContext,
    ModeInForce,
    PolicyDecision,
    PolicySettings,
)
from triage.domain.senders import DOMAIN, INBOX, MAILBOX

NO_ANSWER = "no article answers this question"
NO_ARTICLE_IN = "no article in"
FOLLOW_UP = "follow-up in a conversation"
AUTO_REPLY_LIMIT = "automatic-reply limit"
DIFFERENT_SENDER = "different sender in a thread"
# What each budget of triage.domain.senders counts, as the reason says it.
_BUDGET_SCOPE = {
    MAILBOX: "to this sender",
    DOMAIN: "to this sender's domain in the budget window",
    # Of what this reply could draw on: its counter's share of the inbox budget and the pool.
    INBOX: "from this inbox in the budget window (this sender's share of its budget and the shared rest)",
}
WOULD_HAVE_SENT = "would have been sent automatically"
GUARD_FLAGS_PREFIX = "guard flags: "

# Guard flags, most serious first: the first one named is the message's main reason.
FLAG_ORDER: tuple[GuardFlag, ...] = (
    GuardFlag.LEGAL,
    GuardFlag.SECURITY,
    GuardFlag.PRIVACY,
    GuardFlag.PROMPT_INJECTION,
    GuardFlag.MONEY,
    GuardFlag.DATA_LOSS,
    GuardFlag.PROBLEM_REPORT,
    GuardFlag.URGENT,
    GuardFlag.NEGATIVE_SENTIMENT,
    GuardFlag.WITHDRAWN,
    GuardFlag.BAD_ADDRESS,
    GuardFlag.TECHNICAL,
)


class _Rank(IntEnum):
    """Where a reason goes in the list: causes before their side effects."""

    SITUATION = 0  # guard flags and their evidence: what the message is
    CATEGORY = 1
    CONVERSATION = 2  # a follow-up, the sender's automatic-reply allowance
    LANGUAGE = 3
    ANSWER = 4  # no article answers the question, or not all of it
    CONFIDENCE = 5
    SIDE_EFFECT = 6  # the reply is not grounded, does not cite, no article in the language


def _flag_rank(flag: GuardFlag) -> int:
    return FLAG_ORDER.index(flag) if flag in FLAG_ORDER else len(FLAG_ORDER)


def _answer_reasons(answer: KbAnswer | None, reply: DraftReply, threshold: float) -> list[tuple[_Rank, str]]:
    if answer is None:
        return [(_Rank.ANSWER, NO_ANSWER)]
    reasons: list[tuple[_Rank, str]] = []
    if answer.score < threshold:
        # The score is the acceptance model's probability that the article answers it.
        text = f'{NO_ANSWER} (closest: "{answer.question}" of {answer.article_id}, '
        reasons.append((_Rank.ANSWER, f"{text}{answer.score:.2f} likely to answer it < {threshold:.2f})"))
    if answer.unanswered:
        # Each with what it asks that the article leaves out, when the KB said (triage.judging.kb.unmentioned).
        asked = "; ".join(answer.unanswered)
        n = len(answer.unanswered)
        reasons.append(
            (_Rank.ANSWER, f"the message asks {n} more question(s) the article does not answer: {asked}")
        )
    if answer.confirmed_by_model is False:
        reasons.append((_Rank.ANSWER, f"the LLM does not confirm that {answer.article_id} answers it"))
    if answer.rival is not None:
        reasons.append(
            (
                _Rank.ANSWER,
                f"{answer.rival} is as close as {answer.article_id}: which one answers it is unclear",
            )
        )
    if answer.score >= threshold and answer.article_id not in {c.article_id for c in reply.citations}:
        reasons.append(
            (_Rank.SIDE_EFFECT, f"the reply does not cite the answering article ({answer.article_id})")
        )
    return reasons


def _confidence_reasons(
    confidence: float, not_how_to: str | None, settings: PolicySettings
) -> list[tuple[_Rank, str]]:
    floor = settings.how_to_confidence_threshold
    if not_how_to is None and floor is not None:
        # A how-to an article answers: the category matters little, its confidence too.
        if confidence >= floor:
            return []
        return [
            (_Rank.CONFIDENCE, f"confidence {confidence:.2f} is below {floor:.2f}, the least for a how-to")
        ]
    if confidence >= settings.confidence_threshold:
        return []
    text = f"confidence {confidence:.2f} is below the threshold {settings.confidence_threshold:.2f}"
    if floor is not None and confidence >= floor:
        # Say what would have let it through, for the reviewer reading why it waits.
        text += f" ({floor:.2f} would do for a how-to question an article answers, but {not_how_to})"
    return [(_Rank.CONFIDENCE, text)]


def how_to_answered(
    classification: Classification, reply: DraftReply, settings: PolicySettings
) -> str | None:
    """None when the message is a how-to question an article answers; else why it is not.

    Such a message is routine whatever the category classifier thinks of it: its
    confidence measures which label fits, and the label matters little once the act
    model reads a request for instructions, the acceptance model says an article
    answers it, and no guard flag (a failure, a dispute, money, injection) fires.
    """
    answer = reply.answer
    if classification.act is not MessageAct.ASKS_HOW:
        return "it is not a how-to question" + (
            f" (it reads as {classification.act.value})" if classification.act is not None else ""
        )
    if any(f not in settings.ignored_flags for f in classification.guard_flags):
        return "a guard flag fired"
    if settings.answer_threshold is None or answer is None or answer.score < settings.answer_threshold:
        return "no article answers it"
    if answer.unanswered:
        return "it asks more than the article answers"
    if answer.confirmed_by_model is False:
        return "the LLM names another article"
    if answer.rival is not None:
        return "another article is as close"
    return None


def decide(
    classification: Classification,
    reply: DraftReply,
    settings: PolicySettings,
    context: MessageContext | None = None,
    mode: ModeInForce | None = None,
) -> PolicyDecision:
    ranked: list[tuple[_Rank, str]] = []
    blocking = sorted(
        {f for f in classification.guard_flags if f not in settings.ignored_flags}, key=_flag_rank
    )
    if blocking:
        ranked.append((_Rank.SITUATION, GUARD_FLAGS_PREFIX + ", ".join(f.value for f in blocking)))
        ranked.extend((_Rank.SITUATION, evidence) for evidence in classification.evidence)
    category = classification.category
    how_to_rule = settings.how_to_confidence_threshold is not None
    not_how_to = how_to_answered(classification, reply, settings) if how_to_rule else None
    if category not in settings.auto_send_categories:
        if not how_to_rule or category not in settings.how_to_categories:
            ranked.append((_Rank.CATEGORY, f"category {category.value} always goes to review"))
        elif not_how_to is not None:
            ranked.append(
                (
                    _Rank.CATEGORY,
                    f"category {category.value} goes to review unless it is a how-to question "
                    f"an article answers, and {not_how_to}",
                )
            )
    if context is not None and context.follow_up:
        ranked.append((_Rank.CONVERSATION, FOLLOW_UP))
    if context is not None and context.other_participants:
        also = ", ".join(context.other_participants)
        ranked.append((_Rank.CONVERSATION, f"{DIFFERENT_SENDER} (also writing: {also})"))
    if context is not None and (limit := context.auto_reply_limit_reached) is not None:
        scope = _BUDGET_SCOPE.get(limit.budget, limit.budget)
        ranked.append(
            (_Rank.CONVERSATION, f"{AUTO_REPLY_LIMIT}: {limit.used} of {limit.limit} already sent {scope}")
        )
    languages = settings.checked_languages
    if languages is not None and classification.language not in languages:
        ranked.append((_Rank.LANGUAGE, f"no problem-report checks for language {classification.language!r}"))
    ranked.extend(_confidence_reasons(classification.confidence, not_how_to, settings))
    if reply.article_language is not None and reply.article_language != classification.language:
        # The knowledge base has the answer, but not in the customer's language.
        ranked.append((_Rank.SIDE_EFFECT, f"{NO_ARTICLE_IN} {classification.language}"))
    if settings.answer_threshold is not None:
        ranked.extend(_answer_reasons(reply.answer, reply, settings.answer_threshold))
    if settings.require_kb_support and not reply.grounded:
        ranked.append((_Rank.SIDE_EFFECT, "no knowledge-base article supports the reply"))
    # A stable sort: within a rank, the order above.
    reasons = [text for _, text in sorted(ranked, key=lambda pair: pair[0])]
    would_auto_send = not reasons
    if would_auto_send and mode is not None and mode.mode is not AutonomyMode.AUTO:
        where = "by default" if mode.scope == "default" else f"for {mode.scope}"
        reasons.append(f"{mode.mode.value} mode {where}: {WOULD_HAVE_SENT}")
    return PolicyDecision(
        auto_send=not reasons,
        reasons=reasons,
        answer=reply.answer,
        would_auto_send=would_auto_send,
        mode=mode,
    )
