"""A closing needs no reply; anything that asks or reports something does."""

from __future__ import annotations

import pytest

from triage.judging.closing import awaits_reply, is_closing

CLOSINGS = [
    "Thanks, that worked!",
    "danke!",
    "ok, got it",
    "👍",
    "Thank you so much, problem solved.\n\nBest,\nAnna",
    "Merci beaucoup, ça marche !",
    "¡Gracias! Ya funciona.",
    "Great, thanks for your help!",
    "Hi,\n\nthanks, it works now.\n\nCheers\nTom",
    "Vielen Dank, hat geklappt!",
    "🙏 thx",
    "👍🏽",
    "✅",
    "Merci 🙏",
    "Thanks!\n\nOn Mon, 2 Nov 2026, Acme Help wrote:\n> If the email never arrives, check your spam folder.",
    # nothing more to ask
    "Perfect, no other questions for now.",
    "Danke, sonst keine Fragen.",
    "Merci bien, nous n'avons pas d'autres questions.",
    "Gracias, no tengo más dudas.",
]
NOT_CLOSINGS = [
    "Thanks! One more question: how do I export invoices?",
    "Thanks, but it still does not work.",
    "thanks for nothing",
    "Thank you. Can you also reset my 2FA?",
    "Thanks for the quick reply. I tried again and the link is expired.",
    "",
    "How do I reset my password?",
    "Thanks in advance, how do I delete my account",
    "Danke, aber der Export ist leer.",
    "Thanks. Broken.",
    "ok. refund",
    "No other questions, but the export is empty.",
    "Pas d'autre question, mais je n'ai rien reçu.",
    "Thank you for your email. I am out of the office until Monday.",
    # Only emoji that thank or approve close: anything else is for a human to read.
    "😡",
    "👎",
    "thanks 😡",
    "👍 🤔",
    "!!!",
]


@pytest.mark.parametrize("text", CLOSINGS)
def test_closings_need_no_reply(text):
    assert is_closing("Re: Password", text)


@pytest.mark.parametrize("text", NOT_CLOSINGS)
def test_anything_else_is_triaged(text):
    assert not is_closing("Re: Password", text)


# A thank-you that still waits for the answer: no reply to it, and the open review stays open.
WAITS = [
    "Thanks, I'll wait for your answer.",
    "Ok thanks, looking forward to your reply",
    "Thank you, keep me posted!",
    "Danke, ich warte auf Ihre Antwort.",
    "Danke! Halten Sie mich auf dem Laufenden.",
    "Merci, j'attends votre retour.",
    "Merci, dans l'attente de votre réponse.",
    "Gracias, espero su respuesta.",
    "Gracias, quedo a la espera.",
]
# Thanks that close the matter: the open review may close with them.
DONE = [
    "Thanks, that worked!",
    "Danke, das hat geholfen!",
    "Merci, c'est parfait",
    "Thanks, that's all I needed!",
    "Gracias, ya funciona.",
    "Thanks for the wait, it works now",  # "wait" alone is no waiting
]


@pytest.mark.parametrize("text", WAITS)
def test_a_thanks_that_waits_for_the_answer_is_read_as_waiting(text):
    assert awaits_reply(text)


@pytest.mark.parametrize("text", DONE)
def test_a_thanks_that_closes_the_matter_waits_for_nothing(text):
    assert not awaits_reply(text)


def test_waiting_in_the_quoted_reply_is_not_the_customers():
    assert not awaits_reply(
        "Thanks, that worked!\n\nOn Mon, Acme Help wrote:\n> We are waiting for the logs."
    )
