"""Answer matching by meaning with a calibrated acceptance: the article that
answers a question is found in any language and wording, "no article" is a
real outcome, and `triage kb search`, the offline draft (what the workflow
sends) and `triage eval` pick the same article for the same text."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from tests.cli_in_process import run_triage
from triage.domain.models import KbAnswer, PolicySettings
from triage.judging.kb_match import ACCEPTANCE_FILE, FEATURES, Acceptance, shipped_acceptance
from triage.judging.training import train_answers
from triage.judging.training.evaluation import EvalRow, judge

THRESHOLD = PolicySettings().answer_threshold


def test_the_shipped_acceptance_is_fitted_on_the_current_examples():
    shipped = json.loads(train_answers.model_path().read_text())
    assert shipped["data"] == train_answers.fingerprint(), (
        f"run python -m triage.judging.training.train_answers ({ACCEPTANCE_FILE})"
    )


def test_refitting_gives_the_shipped_model(kb):
    x, y, _, weights = train_answers.matrix(kb, train_answers.examples(kb))
    refitted, shipped = train_answers.fit(x, y, weights), shipped_acceptance()
    assert refitted.weights == pytest.approx(shipped.weights, abs=1e-6)
    assert refitted.bias == pytest.approx(shipped.bias, abs=1e-6)


def test_an_acceptance_for_other_features_is_refused():
    text = Acceptance(weights=(1.0,), bias=0.0).to_json()
    with pytest.raises(ValueError, match="made for features"):
        Acceptance.from_json(text.replace('"meaning"', '"other"'))


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("How do I reset my password?", "password-reset"),
        ("Wie kann ich mein Passwort zurücksetzen?", "password-reset"),
        ("Which browsers do you support?", "supported-browsers"),
        ("how do I add a new teammate to my workspace", "invite-teammates"),
        ("Comment me désabonner de la newsletter ?", "newsletter"),
        ("where do I download my invoices", "invoices"),
        # terse requests in the customer's words, no question mark (the first two were held
        # back before the generated short requests were matched as their articles' questions)
        ("want to cancel my membership", "cancel-subscription"),
        ("assistance with getting a copy of my bill", "invoices"),
        ("ich will mein abo kündigen bitte", "cancel-subscription"),
        ("je voudrais annuler ma commande 4471", "cancel-order"),
        ("necesito restablecer mi contraseña", "password-reset"),
        ("how to turn on 2fa", "two-factor"),
    ],
)
def test_plain_questions_find_their_article_and_are_accepted(kb, question, article):
    accepted(kb, question, article)


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("i forgot my pw, how do i get a new one", "password-reset"),
        ("¿Cómo cambio mi contraseña olvidada?", "password-reset"),
    ],
)
def test_questions_with_a_word_another_article_covers_find_their_article(kb, question, article):
    # "one", "cambio": words other articles use and this one does not. The message is held as
    # asking more than the article answers (it was before the rough register too); the model
    # fitted with it also scores such a word as another ask (0.69 and 0.77, against 0.84 and 0.89).
    answer = kb.answer("", question)
    assert answer is not None and answer.article_id == article, answer
    assert answer.unanswered, answer


def accepted(kb, question: str, article: str) -> KbAnswer:
    """The answer to ``question``: ``article``, accepted."""
    answer = kb.answer("", question)
    assert answer is not None and answer.article_id == article, answer
    assert answer.score >= THRESHOLD, answer
    return answer


@pytest.mark.parametrize(
    ("question", "article"),
    [
        # a word of the article, mistyped (held back before: the typo counted as a word it never uses)
        ("adfress for delivery change", "shipping-address"),
        ("reseting my pssword", "password-reset"),
        # a short stem with its ending ("call", "open" in the article)
        ("calling customer support", "contact-hours"),
        ("opening a new account", "create-account"),
        # a plan names which account, not what is asked
        ("how to edit info on my standard account", "edit-profile"),
        ("edit the phone number on my platinum account", "edit-profile"),
    ],
)
def test_terse_requests_with_typos_endings_and_plan_names_are_sendable(kb, question, article):
    answer = accepted(kb, question, article)
    assert not answer.unanswered and answer.rival is None, answer


@pytest.mark.parametrize(
    "question",
    [
        "Do you have an office where I can get help in person?",  # close to talk-to-an-agent
        "Can I export my invoices to my accounting software automatically?",
        "Hello, how are you today?",
        # terse: a fact of the customer's own account, or a report in an article's words
        "how much did i spend with you last year",
        "what card is on file for me",
        "invoice download keeps failing",
        "the freemium plan is missing features i paid for",
        "mi pedido llegó roto",
        # when or with what the customer did something: close to the article on doing it
        # ("How do I sign up?"), which does not say what was done (sent before)
        "when did I register my account?",
        "which e-mail did I sign up with?",
        "Wann habe ich mich registriert?",
        "Quand me suis-je inscrit ?",
        "¿Cuándo me registré?",
    ],
)
def test_close_questions_no_article_answers_are_not_sent(kb, question):
    answer = kb.answer("", question)
    assert answer is None or answer.score < THRESHOLD or answer.unanswered, answer


# Which address an account was registered with: registering is create-account's word, the
# address is account-locked's answer. Each of these was sent with create-account before.
REGISTERED_ADDRESS = (
    "what email did i register with",
    "which account email did i register",
    "what email did I use when I registered my account",
    "avec quel e-mail je me suis inscrit",
)


def test_which_address_an_account_was_registered_with_is_not_answered_by_create_account(kb):
    answers = {question: kb.answer("", question) for question in REGISTERED_ADDRESS}
    sent_with_create_account = [
        question
        for question, answer in answers.items()
        if answer is not None
        and answer.article_id == "create-account"
        and answer.score >= THRESHOLD
        and not answer.unanswered
        and answer.rival is None
    ]
    assert sent_with_create_account == [], answers


def test_an_article_that_says_which_address_one_signed_up_with_answers_the_lookup(kb):
    answer = kb.answer("", "Avec quelle adresse me suis-je inscrit ?")
    assert answer is not None and answer.article_id == "account-locked", answer
    assert answer.score >= THRESHOLD and not answer.unanswered, answer


# A question whether something can be done, with when the customer needs it: every word
# after "can I" is asked after, and no article names a weekday, so each was held before
# (as asking more, or under the threshold: the weekday was a word the article never uses).
WITH_A_DEADLINE = (
    ("Can I change the delivery address of my order before Friday?", "shipping-address"),
    ("Bonjour, puis-je modifier mon adresse de livraison avant lundi ?", "shipping-address"),
    ("Hola, ¿puedo cambiar mi plan antes del viernes? Gracias", "change-plan"),
)


@pytest.mark.parametrize(("question", "article"), WITH_A_DEADLINE)
def test_a_deadline_does_not_make_a_question_ask_more_than_the_article_answers(kb, question, article):
    answer = accepted(kb, question, article)
    assert not answer.unanswered and answer.rival is None, answer


# Questions in the customer's register: a greeting, a sign-off, a name.
GREETED = (
    "hi, how do I change my password? thanks, tom",
    "bonjour, comment annuler ma commande svp, merci d'avance",
    "hola, como cambio mi correo electronico? saludos",
)


@pytest.mark.parametrize("question", GREETED)
def test_a_word_no_article_knows_weighs_less_than_one_another_article_covers(kb, question):
    # A greeting, a sign-off, the customer's own people and places are words no article
    # knows; a word another article covers says the question asks something else. Fitted
    # on whole questions only, the model weighed both alike.
    found = kb.closest("", question)
    assert found is not None
    features = list(found[1].features)
    novel, unknown = FEATURES.index("novel"), FEATURES.index("unknown")
    features[novel] = 0.3
    strange, elsewhere = [*features], [*features]
    strange[unknown], elsewhere[unknown] = 0.3, 0.0
    model = shipped_acceptance()
    assert model.probability_of(strange) > model.probability_of(elsewhere) + 0.02


@pytest.mark.parametrize(
    "question",
    [
        "How do I reset my password?",
        "Which browsers do you support?",
        "How do I export my data?",
        "need to see the delivery options",
        "Can I add an item to my order?",
    ],
)
async def test_kb_search_the_draft_and_eval_pick_the_same_article(kb, offline, question):
    verdict = await judge(EvalRow(id="q", body=question, label="general"), offline, PolicySettings())
    # `triage kb search` in this process (tests/cli_in_process.py): a process of its own cost 2 s of CPU.
    done = await asyncio.to_thread(run_triage, ["kb", "search", question, "--json"], os.environ, Path.cwd())
    assert done.returncode == 0, done.stderr
    searched = json.loads(done.stdout)
    assert kb.answer("", question) is not None
    assert verdict.article == searched["answer"]["article_id"] == kb.answer("", question).article_id
    assert [c.article_id for c in verdict.reply.citations][:1] == [verdict.article]
