"""Which words of a question an article mentions: the same word inflected (a short
stem with its ending: "talk/talking"), and a word it uses, mistyped: one slip (a
letter left out, added, changed, or two swapped) in a word of five letters or
more, that no text of the project or the knowledge base uses."""

from __future__ import annotations

import pytest

from triage.judging.kb_words import (
    Slips,
    Vocabulary,
    is_lookup,
    language_words,
    mistyped,
    one_slip,
    same_word,
    without_deadline,
)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("talk", "talking", True),  # a short stem and its ending
        ("send", "sending", True),
        ("call", "called", True),
        ("shop", "shopping", True),  # the last letter doubled before the ending
        ("plan", "planned", True),
        ("open", "opens", True),
        ("app", "apple", False),
        ("team", "teammate", False),
        ("form", "former", False),  # another word, not an ending
        ("ship", "shipment", False),
        ("invitation", "invitations", True),
        ("connect", "disconnect", False),
    ],
)
def test_same_word(a, b, same):
    assert same_word(a, b) is same
    assert same_word(b, a) is same


@pytest.mark.parametrize(
    ("a", "b", "slip"),
    [
        ("adress", "address", True),  # left out
        ("addrress", "address", True),  # added
        ("adfress", "address", True),  # changed
        ("pasword", "password", True),
        ("acquriing", "acquiring", True),  # swapped
        ("uhelp", "help", True),  # "u help" run together
        ("address", "address", False),  # the same word is no slip
        ("adfresss", "address", False),  # two slips
        ("paswrod", "password", False),
        ("badc", "abcd", False),  # two swaps
    ],
)
def test_one_slip(a, b, slip):
    assert one_slip(a, b) is slip
    assert one_slip(b, a) is slip


MENTIONED = Vocabulary(["address", "delivery", "change", "password", "opening"])
KNOWN = Vocabulary(["address", "delivery", "change", "password", "opening", "invoice", "refund"])
SLIPS = Slips([*KNOWN.words(), "help"])


@pytest.mark.parametrize(
    ("word", "typo"),
    [
        ("adfress", True),  # "address", mistyped
        ("pssword", True),
        ("opehing", True),
        ("dleivery", True),  # (a prefix-and-likeness match misses a slip this early)
        ("uhelp", True),  # a word of asking, run together with "u"
        ("adfresss", False),  # two slips away: not taken for the word
        ("invocie", False),  # a slip from "invoice": a word this article does not mention
        ("three", False),  # a word of its own (the project's texts use it), however close to "there"
        ("whole", False),
        ("chanhe", True),
        ("chnag", False),  # two slips from "change"
        ("pro", False),  # short words are a slip away from too many others
    ],
)
def test_a_mistyped_word_of_the_article_is_mentioned(word, typo):
    assert mistyped(word, SLIPS, MENTIONED, KNOWN) is typo


def test_the_project_s_words_are_words_of_the_languages_it_answers():
    words = language_words()
    assert {"three", "whole", "password", "passwort", "contraseña".replace("ñ", "n")} <= words
    assert not {"pssword", "adfress"} & words


@pytest.mark.parametrize(
    ("question", "lookup"),
    [
        # a fact of the customer's own past: what was done, not how to do it
        ("when did I create my account?", True),
        ("What date did I open my account?", True),
        ("which plan was I on last year?", True),
        ("how much did I pay last month?", True),
        ("I forgot which email I registered with", True),
        ("Wann habe ich mein Konto eröffnet?", True),
        ("Mit welcher E-Mail-Adresse habe ich mich angemeldet?", True),
        ("welche adresse ich bei der anmeldung angegeben habe", True),
        ("Quand ai-je créé mon compte ?", True),
        ("Avec quelle adresse e-mail me suis-je inscrit ?", True),
        ("quelle carte j'ai utilisée", True),
        ("¿Cuándo creé mi cuenta?", True),
        ("¿Con qué correo me di de alta?", True),
        ("que tarjeta use la ultima vez", True),
        # how to do something, what will happen, or what went wrong
        ("how do I create an account?", False),
        ("what should I do if I forgot my password", False),
        ("which plan should I choose", False),
        ("I have changed my email, how do I log in", False),
        ("welchen Tarif soll ich wählen", False),
        ("was habe ich falsch gemacht", False),
        ("quand vais-je recevoir ma commande", False),
        ("quand est-ce que la fonctionnalité demandée sera disponible", False),
        ("¿Cuándo recibiré mi pedido?", False),  # a future, not a past
        ("¿Qué hago si olvidé mi contraseña?", False),
        ("quiero valorar la atención que recibí", False),  # "que" relates, "qué" asks
    ],
)
def test_a_question_for_a_fact_of_the_customers_own_past(question, lookup):
    assert is_lookup(question) is lookup


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        # when the customer needs it done is left out of what is asked
        ("can I change the delivery address before Friday?", "can I change the delivery address ?"),
        ("how do I cancel it by tomorrow", "how do I cancel it"),
        ("kann ich das bis morgen ändern?", "kann ich das ändern?"),
        ("puis-je modifier mon adresse avant lundi ?", "puis-je modifier mon adresse ?"),
        ("¿puedo cambiar mi plan antes del viernes?", "¿puedo cambiar mi plan ?"),
        # a day that is what is asked stays, and so does a phrase that is no time limit
        ("do you deliver on saturdays?", "do you deliver on saturdays?"),
        ("by the way, how do I reset it?", "by the way, how do I reset it?"),
        ("vor zwei Wochen habe ich bestellt", "vor zwei Wochen habe ich bestellt"),
    ],
)
def test_a_deadline_is_not_part_of_what_is_asked(question, asked):
    assert without_deadline(question) == asked
