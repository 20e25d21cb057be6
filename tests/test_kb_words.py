"""Which words of a question an article mentions: the same word inflected (a short
stem with its ending: "talk/talking"), and a word it uses, mistyped: one slip (a
letter left out, added, changed, or two swapped) in a word of five letters or
more, that no text of the project or the knowledge base uses."""

from __future__ import annotations

import pytest

from triage.judging.kb_words import Slips, Vocabulary, language_words, mistyped, one_slip, same_word


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
