"""Near misses: a question that closely matches a declared one but asks about
something the article never mentions (another person's account, another
device, the undoing of what the article sets up) is not answered by it, and
the reviewer is told which words were left out. Paraphrases of what the
article does say still go out."""

from __future__ import annotations

import pytest

from triage.domain.models import PolicySettings
from triage.judging.kb import KnowledgeBase
from triage.judging.kb_articles import Article
from triage.judging.training.evaluation import EvalRow, judge


@pytest.mark.parametrize(
    ("question", "left_out"),
    [
        # someone else's account, not one's own
        ("How can an admin reset the password of a colleague?", "colleague"),
        ("Wie setze ich das Passwort eines Kollegen zurück?", "kollegen"),
        ("¿Cómo elimino la cuenta de un compañero?", "companero"),
        # a device or product the article does not cover
        ("Which browsers work on an iPad?", "ipad"),
        ("How do I connect Jira?", "jira"),
        # undoing what the article sets up
        ("How can I disconnect Slack again?", "disconnect"),
        ("Comment désactiver la double authentification ?", "desactiver"),
        # a topic of another article
        ("How do I delete one of my webhooks?", "delete"),
        # a part the article is silent on
        ("Is it possible to export a single project to JSON?", "single"),
        ("¿Puedo exportar un solo proyecto en JSON?", "solo"),
        # whether a thing exists: the thing, in the customer's words, is what is asked about
        ("Do you have a smartwatch app?", "smartwatch"),
        ("Gibt es einen Dunkelmodus?", "dunkelmodus"),
        ("Proposez-vous un emballage cadeau ?", "emballage"),
        ("¿Hay un programa de fidelidad?", "programa"),
        ("Is there also a dark mode?", "dark"),  # "also": how it is asked, not part of the name
        # whether a thing can be done: all that follows "can I" is what is asked after
        ("Can I pay with bitcoin?", "bitcoin"),
        ("Kann ich mit Gutscheinen bezahlen?", "gutscheinen"),
        ("¿Puedo pagar con criptomonedas?", "criptomonedas"),
    ],
)
def test_a_question_about_something_the_article_never_mentions_is_unanswered(kb, question, left_out):
    answer = kb.answer("", question)
    assert answer is not None
    [unanswered] = answer.unanswered
    assert unanswered.startswith(question) and f'"{left_out}"' in unanswered, unanswered


@pytest.mark.parametrize(
    ("subject", "body", "article"),
    [
        (
            "",
            "Can I still cancel an order before it has shipped?",
            "cancel-order",
        ),  # "before": how it is asked
        ("", "Where is the export button for my data?", "export-data"),  # UI words are locations
        ("", "How do I invite a coworker to the workspace?", "invite-teammates"),
        ("", "Thanks! Quick question: how do I unsubscribe from the newsletter?", "newsletter"),  # a preface
        ("", "Who do I contact at customer support about hours on the phone?", "contact-hours"),
        ("", "How do I switch off the newsletter?", "newsletter"),
        # whether a thing exists or can be done, in the article's words
        ("", "Can I cancel my order myself before it ships?", "cancel-order"),
        ("", "Kann ich meine Bestellung stornieren?", "cancel-order"),
        ("", "Gibt es eine Android-App?", "mobile-apps"),
        ("", "Do you have a status page?", "status-page"),
        ("", "Y a-t-il une page d'état du service ?", "status-page"),
        ("", "¿Tienen una app para iPad?", "mobile-apps"),
        # the first half of a Spanish sentence is read with its "¿...?"; "hago" is how it is asked
        ("", "Quiero cambiar de plan, ¿cómo lo hago?", "change-plan"),
        ("", "Buenas tardes, ¿cómo cambio mi correo electrónico?", "change-email"),
        # a question that names too little on its own is read with the sentence before it
        ("Passwort", "Ich habe mein Passwort vergessen. Wie kann ich es zurücksetzen?", "password-reset"),
        ("", "Olvidé mi contraseña. ¿Cómo la restablezco?", "password-reset"),
        ("", "How do I set up a webhook, and how are webhook deliveries signed?", "webhooks"),
    ],
)
def test_paraphrases_of_what_the_article_says_are_answered(kb, subject, body, article):
    answer = kb.answer(subject, body)
    assert answer is not None and answer.article_id == article
    assert answer.unanswered == []


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("Which browsers do you support on iPad?", "ipad"),
        ("How do I remove a teammate's account?", "teammate"),
        ("¿Cómo desconecto Slack?", "desconecto"),
    ],
)
async def test_a_near_miss_waits_and_the_reason_names_what_was_not_answered(offline, text, word):
    verdict = await judge(EvalRow(id="t", body=text, label="general"), offline, PolicySettings())
    assert not verdict.decision.auto_send
    assert any(f'does not mention "{word}"' in r for r in verdict.decision.reasons), verdict.decision.reasons


async def test_a_second_question_on_something_else_is_named_too(offline):
    text = "How do I create an API key? Which header do I send the key in when I call from an iPad?"
    verdict = await judge(EvalRow(id="t", body=text, label="general"), offline, PolicySettings())
    assert not verdict.decision.auto_send
    assert any("does not mention" in r and '"ipad"' in r for r in verdict.decision.reasons), (
        verdict.decision.reasons
    )


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        # The context sentence helps find what "it" is; only the question's own words must be answered.
        (
            "How do I reset my password?",
            "Hi there,\n\nI forgot my password and can't log in to Acme Help. How do I reset it?\n\nThanks,\nMaya",
        ),
        # The house's own name (in most articles) is no subject an article must mention.
        ("Password", "How do I reset my Acme Help password?"),
    ],
)
def test_context_and_the_house_name_are_not_asked_about(kb, subject, body):
    answer = kb.answer(subject, body)
    assert answer is not None and answer.article_id == "password-reset"
    assert answer.unanswered == []


def test_the_condition_before_a_spanish_question_is_part_of_it(kb):
    body = "Perdí el acceso al correo de mi cuenta, ¿cómo entro?"
    # "¿" starts a new sentence for the other checks; the question reads its first half too.
    assert kb.asked("", body) == {body: "¿cómo entro?"}


def test_a_match_two_articles_contest_names_the_other_and_waits(kb):
    # "the address": meaning and spelling each prefer another article, neither clearly ahead.
    answer = kb.answer("", "need to modify the address")
    assert answer is not None and answer.rival is not None and answer.rival != answer.article_id
    assert {answer.article_id, answer.rival} & {"shipping-address", "change-email"}
    clear = kb.answer("", "How do I reset my password?")
    assert clear is not None and clear.rival is None


def test_a_word_of_another_articles_declared_question_is_no_subject_unless_that_article_says_it():
    # "get here" is how a customer asks about a parcel; the parcels article never says "here",
    # so a question to the newsletter article using it asks nothing that article leaves out.
    articles = [
        Article(
            id="parcels",
            title="Track a parcel",
            body="Parcels ship within two days; the tracking link is in the confirmation email.",
            questions=["When will my parcel get here?"],
        ),
        Article(
            id="newsletter",
            title="The newsletter",
            body="The newsletter is sent once a month. Unsubscribe with the link in any issue.",
            questions=["How often is the newsletter sent?"],
        ),
    ]
    kb = KnowledgeBase(articles)
    answer = kb.answer("", "How often does the newsletter get here?")
    assert answer is not None and answer.article_id == "newsletter"
    assert answer.unanswered == []
    # A word the parcels article does say stays its subject: the newsletter never mentions it.
    parcel = kb.answer("", "How often is the newsletter sent with the tracking link?")
    assert parcel is not None and parcel.article_id == "newsletter"
    assert any('"tracking"' in u for u in parcel.unanswered), parcel.unanswered
