"""Retrieval matches what is asked, not which one: a reference ("order 58814402") or a
plan's name ("the platinum account") picks out one thing, and must not pick the article.

Every article's written questions name one plan or order or another; matched as they
are, a question naming "platinum" found whichever article had a question with that name,
though another article's verb was the one asked."""

from __future__ import annotations

import pytest

from triage.judging.kb import KnowledgeBase
from triage.judging.kb_articles import Article
from triage.judging.kb_match import what_is_asked

PLANS = ("free", "gold", "platinum", "premium", "pro")


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # a reference is dropped, glued to a word or not; the word it hid comes back
        ("where is order77120934 now", "where is order now"),
        ("status of #55190 please", "status of please"),
        ("annuler la commande ord-88213", "annuler la commande"),
        # short numbers are what is asked ("error 401"), and words with digits too ("2fa")
        ("why do I get error 401", "why do I get error 401"),
        ("how to turn on 2fa", "how to turn on 2fa"),
        # a plan's name is one word for all of them, in any case and punctuation
        ("change to the Platinum account", "change to the premium account"),
        ("upgrade to gold!", "upgrade to premium"),
        ("cerrar mi cuenta pro", "cerrar mi cuenta premium"),
        # a text that is only a reference stays what it is (nothing else to match)
        ("#55190", "#55190"),
    ],
)
def test_what_is_asked_drops_references_and_names_plans_alike(text, asked):
    assert what_is_asked(text, PLANS) == asked


def _article(article_id: str, title: str, body: str, *questions: str) -> Article:
    return Article(id=article_id, title=title, body=body, questions=list(questions))


def _account_articles() -> list[Article]:
    """Three articles whose questions each name a different plan."""
    return [
        _article(
            "switch-plan",
            "Switch to another plan",
            "Owners switch plans under Settings, Plan. Upgrades apply at once.",
            "How do I switch to the gold plan?",
            "change my account to the pro plan",
        ),
        _article(
            "open-account",
            "Open an account",
            "Sign up on the home page with your email address.",
            "How do I open a platinum account?",
            "create a new account",
        ),
        _article(
            "edit-details",
            "Edit your details",
            "Your name and phone number are under Settings, Profile.",
            "edit the details of my free account",
            "How do I change my name?",
        ),
    ]


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("I want to change to the platinum account", "switch-plan"),
        ("move my account to the platinum plan", "switch-plan"),
        ("help me edit the details of my gold account", "edit-details"),
        ("I'd like to open a pro account", "open-account"),
    ],
)
def test_a_plans_name_does_not_pick_the_article_whose_question_names_it(question, article):
    kb = KnowledgeBase(_account_articles(), which_one=PLANS)
    answer = kb.answer("", question)
    assert answer is not None and answer.article_id == article


@pytest.mark.parametrize(
    "question", ["I want to see the current status of order5519023714", "current status of order5519023714?"]
)
def test_a_reference_glued_to_its_word_does_not_hide_it(question):
    articles = [
        _article(
            "track-order",
            "Where is my order",
            "Each order has a tracking link in its confirmation email.",
            "Where is my order?",
            "What is the status of my order?",
        ),
        _article(
            "service-status",
            "Service status",
            "The status page shows outages of the service and their current state.",
            "Is the service down?",
            "What is the current status of the service?",
        ),
    ]
    answer = KnowledgeBase(articles).answer("", question)
    assert answer is not None and answer.article_id == "track-order"
