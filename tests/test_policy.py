"""The send policy, as a table: every row is one reason to send or not."""

from __future__ import annotations

import pytest

from tests.replies import answered_reply
from triage.domain.models import (
    AutonomyMode,
    AutoReplyAllowance,
    Category,
    Classification,
    DraftReply,
    GuardFlag,
    MessageAct,
    MessageContext,
    ModeInForce,
    ModeSource,
    PolicySettings,
)
from triage.domain.policy import AUTO_REPLY_LIMIT, FOLLOW_UP, NO_ANSWER, WOULD_HAVE_SENT, decide

DEFAULT = PolicySettings()
G, F, B, BUG, FR = Category.GENERAL, Category.FAQ, Category.BILLING, Category.BUG, Category.FEATURE_REQUEST
OK = answered_reply()
UNGROUNDED = answered_reply(grounded=False)
FAR = answered_reply(score=0.2)  # the closest declared question is not what was asked
UNCITED = answered_reply(cited=False)  # the draft cites another article than the answering one
DISPUTED = answered_reply(confirmed_by_model=False)  # the LLM names another article
CONFIRMED = answered_reply(confirmed_by_model=True)
CONTESTED = answered_reply(rival="change-email")  # meaning and spelling prefer different articles
TWO_QUESTIONS = answered_reply(unanswered=["And can I pay by bank transfer?"])
NO_ANSWER_AT_ALL = DraftReply(body="Hello", grounded=True)
IN_ENGLISH = answered_reply(
    article_language="en"
)  # the knowledge base has no article in the customer's language
IN_GERMAN = answered_reply(article_language="de")

CASES = [
    # category, confidence, language, reply, flags, settings, auto_send
    (G, 0.95, "en", OK, [], DEFAULT, True),
    (F, 0.90, "en", OK, [], DEFAULT, True),  # the threshold itself passes
    (F, 0.89, "en", OK, [], DEFAULT, False),
    (B, 0.99, "en", OK, [], DEFAULT, False),
    (BUG, 0.99, "en", OK, [], DEFAULT, False),
    (FR, 0.99, "en", OK, [], DEFAULT, False),
    (G, 0.95, "en", UNGROUNDED, [], DEFAULT, False),  # the cited article does not answer this category
    (G, 0.95, "en", UNGROUNDED, [], PolicySettings(require_kb_support=False), True),
    (G, 0.95, "en", FAR, [], DEFAULT, False),
    (G, 0.95, "en", FAR, [], PolicySettings(answer_threshold=0.1), True),
    (
        G,
        0.95,
        "en",
        FAR,
        [],
        PolicySettings(answer_threshold=None),
        True,
    ),  # workflows started before the check
    (G, 0.95, "en", NO_ANSWER_AT_ALL, [], DEFAULT, False),
    (G, 0.95, "en", UNCITED, [], DEFAULT, False),
    (G, 0.95, "en", DISPUTED, [], DEFAULT, False),
    (G, 0.95, "en", CONFIRMED, [], DEFAULT, True),
    (G, 0.95, "en", CONTESTED, [], DEFAULT, False),
    (G, 0.95, "en", TWO_QUESTIONS, [], DEFAULT, False),
    (G, 0.95, "de", OK, [], DEFAULT, True),
    (G, 0.95, "fr", OK, [], DEFAULT, True),
    (G, 0.95, "es", OK, [], DEFAULT, True),
    (G, 0.95, "it", OK, [], DEFAULT, False),  # no problem-report checks in Italian
    (G, 0.95, "it", OK, [], PolicySettings(checked_languages=None), True),
    (G, 0.95, "it", IN_ENGLISH, [], PolicySettings(checked_languages=None), False),  # no article in it
    (G, 0.95, "de", IN_ENGLISH, [], DEFAULT, False),  # a KB without German articles
    (G, 0.95, "de", IN_GERMAN, [], DEFAULT, True),
    (G, 0.95, "en", IN_ENGLISH, [], DEFAULT, True),
    (G, 0.95, "en", OK, [GuardFlag.PROBLEM_REPORT], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.PRIVACY], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.BAD_ADDRESS], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.PROMPT_INJECTION], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.MONEY], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.LEGAL], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.NEGATIVE_SENTIMENT], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.SECURITY], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.TOO_LONG], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.EMPTY], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.INVALID_OUTPUT], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.TECHNICAL], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.MODEL_DISAGREEMENT], DEFAULT, False),
    (G, 0.95, "en", OK, [GuardFlag.URGENT], PolicySettings(ignored_flags=[GuardFlag.URGENT]), True),
    (
        G,
        0.95,
        "en",
        OK,
        [GuardFlag.URGENT, GuardFlag.MONEY],
        PolicySettings(ignored_flags=[GuardFlag.URGENT]),
        False,
    ),
    (B, 0.99, "en", OK, [], PolicySettings(auto_send_categories=[B]), True),
    (G, 0.99, "en", OK, [], PolicySettings(auto_send_categories=[]), False),
    (G, 0.50, "en", OK, [], PolicySettings(confidence_threshold=0.4), True),
]


@pytest.mark.parametrize(
    ("category", "confidence", "language", "reply", "flags", "settings", "auto_send"), CASES
)
def test_policy_table(category, confidence, language, reply, flags, settings, auto_send):
    classification = Classification(
        category=category, confidence=confidence, language=language, guard_flags=flags
    )
    decision = decide(classification, reply, settings)
    assert decision.auto_send is auto_send, decision.reasons
    assert bool(decision.reasons) is not auto_send  # every refusal says why
    assert decision.answer == reply.answer  # the reviewer sees what was matched


def test_every_failed_condition_is_reported():
    classification = Classification(
        category=B, confidence=0.1, language="pt", guard_flags=[GuardFlag.MONEY, GuardFlag.LEGAL]
    )
    reasons = decide(classification, answered_reply(score=0.1, grounded=False), DEFAULT).reasons
    assert len(reasons) == 6
    assert "guard flags: legal, money" in reasons
    assert any(r.startswith(NO_ANSWER) and "How do I reset my password?" in r for r in reasons)


@pytest.mark.parametrize(
    ("context", "auto_send", "reason"),
    [
        (None, True, None),
        (MessageContext(), True, None),
        (MessageContext(follow_up=True), False, FOLLOW_UP),
        (
            MessageContext(auto_reply_limit_reached=AutoReplyAllowance(allowed=False, used=3, limit=3)),
            False,
            AUTO_REPLY_LIMIT,
        ),
    ],
)
def test_the_conversation_and_the_sender_count(context, auto_send, reason):
    classification = Classification(category=G, confidence=0.99)
    decision = decide(classification, OK, DEFAULT, context)
    assert decision.auto_send is auto_send
    assert reason is None or any(r.startswith(reason) for r in decision.reasons)


def test_the_evidence_of_a_flag_is_a_reason():
    evidence = 'problem_report (failure: "none of them arrived")'
    classification = Classification(
        category=G, confidence=0.99, guard_flags=[GuardFlag.PROBLEM_REPORT], evidence=[evidence]
    )
    assert evidence in decide(classification, OK, DEFAULT).reasons


def test_no_article_in_the_customers_language_says_which():
    classification = Classification(category=G, confidence=0.95, language="it")
    decision = decide(
        classification, answered_reply(article_language="en"), PolicySettings(checked_languages=None)
    )
    assert decision.reasons == ["no article in it"]


def mode(value: AutonomyMode, scope: str = "article:password-reset") -> ModeInForce:
    return ModeInForce(mode=value, scope=scope, source=ModeSource.CONFIG)


@pytest.mark.parametrize(
    ("confidence", "in_force", "auto_send", "would_auto_send", "reason"),
    [
        (0.99, None, True, True, None),
        (0.99, mode(AutonomyMode.AUTO), True, True, None),
        (
            0.99,
            mode(AutonomyMode.SHADOW),
            False,
            True,
            f"shadow mode for article:password-reset: {WOULD_HAVE_SENT}",
        ),
        (
            0.99,
            mode(AutonomyMode.REVIEW, "category:general"),
            False,
            True,
            f"review mode for category:general: {WOULD_HAVE_SENT}",
        ),
        # Another reason holds it anyway: the mode adds nothing, and it is no shadow verdict.
        (0.50, mode(AutonomyMode.SHADOW), False, False, "confidence 0.50"),
    ],
)
def test_the_autonomy_mode_holds_only_what_would_have_been_sent(
    confidence, in_force, auto_send, would_auto_send, reason
):
    decision = decide(Classification(category=G, confidence=confidence), OK, DEFAULT, None, in_force)
    assert (decision.auto_send, decision.would_auto_send) == (auto_send, would_auto_send)
    assert reason is None or any(r.startswith(reason) for r in decision.reasons)
    if not would_auto_send:
        assert not any(WOULD_HAVE_SENT in r for r in decision.reasons)


MAIN_REASON_CASES = [
    # category, flags, evidence, reply, the main reason starts with, a side effect that must come later
    (
        G,
        [GuardFlag.PROBLEM_REPORT, GuardFlag.LEGAL],
        ['problem_report (repeat: "third time")'],
        UNGROUNDED,
        "guard flags: legal, problem_report",
        "no knowledge-base article supports the reply",
    ),
    (B, [], [], NO_ANSWER_AT_ALL, "category billing always goes to review", NO_ANSWER),
    (
        G,
        [],
        [],
        answered_reply(score=0.1, grounded=False),
        NO_ANSWER,
        "no knowledge-base article supports the reply",
    ),
    (G, [], [], UNCITED, "the reply does not cite", None),
    (
        G,
        [],
        [],
        answered_reply(cited=False, unanswered=["And by bank transfer?"]),
        "the message asks 1 more question",
        "the reply does not cite",
    ),
    (
        BUG,
        [GuardFlag.SECURITY],
        ['security (takeover: "someone else signed in")'],
        OK,
        "guard flags: security",
        "category bug always goes to review",
    ),
]


@pytest.mark.parametrize(("category", "flags", "evidence", "reply", "main", "later"), MAIN_REASON_CASES)
def test_the_cause_comes_first_and_side_effects_follow(category, flags, evidence, reply, main, later):
    classification = Classification(category=category, confidence=0.95, guard_flags=flags, evidence=evidence)
    decision = decide(classification, reply, DEFAULT)
    assert decision.main_reason is not None and decision.main_reason.startswith(main), decision.reasons
    assert decision.reasons[0] == decision.main_reason and decision.also == decision.reasons[1:]
    if later is not None:
        assert any(r.startswith(later) for r in decision.also), decision.reasons
    if evidence:  # the evidence follows its flags at once
        assert decision.reasons[1] == evidence[0]


ASKS, REPORTS, DISPUTES = MessageAct.ASKS_HOW, MessageAct.REPORTS_PROBLEM, MessageAct.DISPUTES_CHARGE
WITH_BILLING = PolicySettings(how_to_categories=[B])
RULE_OFF = PolicySettings(how_to_confidence_threshold=None)  # workflows started before the rule
# act, category, confidence, reply, flags, settings, auto_send, what the refusal says
HOW_TO_CASES = [
    # A how-to an article answers: the category classifier's doubt does not hold it.
    (ASKS, G, 0.62, OK, [], DEFAULT, True, None),
    (ASKS, F, 0.50, OK, [], DEFAULT, True, None),  # the floor itself passes
    (ASKS, G, 0.49, OK, [], DEFAULT, False, "is below 0.50, the least for a how-to"),
    (ASKS, G, 0.62, OK, [], RULE_OFF, False, "below the threshold 0.90"),
    # Not a how-to, or not answered: the full threshold, and the reviewer reads why.
    (
        REPORTS,
        G,
        0.62,
        OK,
        [],
        DEFAULT,
        False,
        "but it is not a how-to question (it reads as reports_problem)",
    ),
    (None, G, 0.62, OK, [], DEFAULT, False, "but it is not a how-to question)"),
    (ASKS, G, 0.62, OK, [GuardFlag.PROBLEM_REPORT], DEFAULT, False, "but a guard flag fired"),
    (ASKS, G, 0.62, answered_reply(score=0.79), [], DEFAULT, False, "but no article answers it"),
    (ASKS, G, 0.62, TWO_QUESTIONS, [], DEFAULT, False, "but it asks more than the article answers"),
    (ASKS, G, 0.62, DISPUTED, [], DEFAULT, False, "but the LLM names another article"),
    (ASKS, G, 0.62, NO_ANSWER_AT_ALL, [], DEFAULT, False, "but no article answers it"),
    (ASKS, G, 0.62, CONTESTED, [], DEFAULT, False, "but another article is as close"),
    (ASKS, G, 0.95, CONTESTED, [], DEFAULT, False, "change-email is as close as password-reset"),
    (ASKS, G, 0.62, OK, [GuardFlag.URGENT], PolicySettings(ignored_flags=[GuardFlag.URGENT]), True, None),
    # Billing stays with a human unless the operator lets its answered how-tos out.
    (ASKS, B, 0.99, OK, [], DEFAULT, False, "category billing always goes to review"),
    (ASKS, B, 0.70, OK, [], WITH_BILLING, True, None),
    (
        ASKS,
        B,
        0.99,
        OK,
        [],
        PolicySettings(how_to_categories=[B], how_to_confidence_threshold=None),
        False,
        "category billing always goes to review",
    ),
    (
        DISPUTES,
        B,
        0.99,
        OK,
        [],
        WITH_BILLING,
        False,
        "category billing goes to review unless it is a how-to question an article answers, "
        "and it is not a how-to question (it reads as disputes_charge)",
    ),
    (ASKS, B, 0.99, OK, [GuardFlag.MONEY], WITH_BILLING, False, "and a guard flag fired"),
    (ASKS, B, 0.99, FAR, [], WITH_BILLING, False, "and no article answers it"),
    (ASKS, BUG, 0.99, OK, [], WITH_BILLING, False, "category bug always goes to review"),
    # The rest of the policy still holds: grounding, the language checks.
    (ASKS, G, 0.62, UNGROUNDED, [], DEFAULT, False, "no knowledge-base article supports the reply"),
    (ASKS, G, 0.62, OK, [], PolicySettings(checked_languages=["de"]), False, "no problem-report checks"),
]


@pytest.mark.parametrize(
    ("act", "category", "confidence", "reply", "flags", "settings", "auto_send", "says"), HOW_TO_CASES
)
def test_a_how_to_an_article_answers_is_routine_whatever_its_category(
    act, category, confidence, reply, flags, settings, auto_send, says
):
    classification = Classification(category=category, confidence=confidence, guard_flags=flags, act=act)
    decision = decide(classification, reply, settings)
    assert decision.auto_send is auto_send, decision.reasons
    if says is not None:
        assert any(says in reason for reason in decision.reasons), decision.reasons
