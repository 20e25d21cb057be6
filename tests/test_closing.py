"""A closing needs no reply; anything that asks or reports something does."""

from __future__ import annotations

import pytest

from triage.judging.closing import is_closing

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
