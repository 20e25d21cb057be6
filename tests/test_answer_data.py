"""The questions the answer acceptance is fitted on: well-formed, tied to real
articles, enough of each kind for every article, and kept out of the category data."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from triage.judging.answer_data import (
    AnswerExample,
    answer_phrases,
    customer_words,
    load_answer_examples,
    load_generated_examples,
)
from triage.judging.kb_words import terms
from triage.judging.training import generate_answers
from triage.judging.training.generate_answers import generate, text_key
from triage.judging.training.training_data import load_examples

LANGUAGES = ("en", "de", "fr", "es")


@pytest.fixture(scope="module")
def examples() -> list[AnswerExample]:
    return load_answer_examples()


def test_every_id_names_an_article(examples, kb):
    ids = {article.id for article in kb.articles}
    named = {e.article for e in examples} | {e.near for e in examples}
    assert named - {None} <= ids, sorted(named - {None} - ids)


def test_kind_agrees_with_article(examples):
    # A paraphrase has the article that answers it; a near-miss has none.
    wrong = [e.text for e in examples if (e.kind == "paraphrase") != (e.article is not None)]
    assert not wrong, wrong
    # Off-topic mail (near nothing) is never answered.
    assert all(e.article is None for e in examples if e.near is None)


def test_every_article_has_paraphrases_in_each_language_and_near_misses(examples, kb):
    paraphrases: dict[str, Counter[str]] = defaultdict(Counter)
    near_misses: Counter[str] = Counter()
    for e in examples:
        if e.kind == "paraphrase" and e.article == e.near:
            paraphrases[e.article][e.lang] += 1
        elif e.kind == "near_miss" and e.near is not None:
            near_misses[e.near] += 1
    short = {
        article.id: (dict(paraphrases[article.id]), near_misses[article.id])
        for article in kb.articles
        if sum(paraphrases[article.id].values()) < 10
        or any(paraphrases[article.id][lang] < 2 for lang in LANGUAGES)
        or near_misses[article.id] < 8
    }
    assert not short, short


def test_off_topic_messages_and_answers_by_another_article_are_present(examples):
    assert sum(1 for e in examples if e.near is None) >= 30
    assert sum(1 for e in examples if e.article not in (None, e.near)) >= 35


def test_texts_are_new_phrasings(examples, kb):
    # Neither repeated nor a copy of a declared question, which the matcher sees anyway.
    counts = Counter(text_key(e.text) for e in examples)
    assert [text for text, n in counts.items() if n > 1] == []
    declared = {text_key(q) for article in kb.versions() for q in article.questions}
    assert [e.text for e in examples if text_key(e.text) in declared] == []


def test_category_training_data_leaves_the_answer_questions_out():
    assert {example.source for example in load_examples()}.isdisjoint({"answers"})


@pytest.fixture(scope="module")
def generated() -> list[AnswerExample]:
    return load_generated_examples()


def test_the_generated_requests_are_what_their_parts_give():
    shipped = load_generated_examples()
    assert generate_answers.render(shipped) == generate_answers.render(
        generate(answer_phrases(), generate_answers.taken())
    ), "run python -m triage.judging.training.generate_answers"


def test_generated_requests_cover_every_article_in_each_language_with_near_misses(generated, kb):
    paraphrases = Counter((e.article, e.lang) for e in generated if e.article is not None)
    assert {(a.id, lang) for a in kb.articles for lang in LANGUAGES} <= set(paraphrases)
    assert all(e.near is not None for e in generated if e.article is not None)
    near_misses = [e for e in generated if e.article is None]
    assert {e.lang for e in near_misses if e.near is None} == set(LANGUAGES)  # lookups
    assert all(e.kind == "near_miss" and e.template for e in near_misses)


def test_generated_requests_are_terse_and_new(generated, examples, kb):
    # The register: lower case, no question mark; not a copy of a written or declared question.
    assert [e.text for e in generated if e.text != e.text.lower() or "?" in e.text] == []
    written = {text_key(e.text) for e in examples} | {text_key(q) for a in kb.versions() for q in a.questions}
    assert [e.text for e in generated if text_key(e.text) in written] == []
    assert len({e.text for e in generated}) == len(generated)


def test_customer_words_name_real_articles(kb):
    assert set(customer_words()) <= {a.id for a in kb.articles}
    assert "freemium" in customer_words()["change-plan"]


def test_a_slot_s_values_are_mentioned_by_the_articles_whose_parts_use_it():
    words, plans = customer_words(), answer_phrases()["slots"]["plan"]
    # "close my gold account": the plan says which account, delete-account answers it
    assert set(plans) <= set(words["delete-account"]) & set(words["create-account"])
    assert not set(plans) & set(words["password-reset"])  # its parts name no plan


def test_rough_rows_are_their_templates_requests_in_the_customer_s_register(generated):
    # Each is a plain request of its template with a greeting or who writes before it, or
    # thanks, a sign-off or a deadline after it: the same ask, the same article.
    register = answer_phrases()["register"]
    # (a plain sibling that repeats a written question is left out of the file; its rough copy is not)
    plain = {e.template: e for e in generate(answer_phrases()) if not e.rough}
    rough = [e for e in generated if e.rough]
    assert len(rough) > len(generated) // 4
    for e in rough:
        sibling = plain[e.template]
        assert (e.article, e.lang, e.kind, e.near) == (
            sibling.article,
            sibling.lang,
            sibling.kind,
            sibling.near,
        )
        opened = any(e.text.startswith(f"{w} ") for w in register[e.lang]["open"])
        closed = any(e.text.endswith(f" {w}") for w in register[e.lang]["close"])
        assert opened or closed, e.text
    # Near-misses too: a greeting does not make a report or a lookup answerable.
    assert {e.kind for e in rough} == {"paraphrase", "near_miss"}
    assert {e.lang for e in rough if e.kind == "near_miss"} == set(LANGUAGES)


def test_rough_rows_are_fitted_on_and_never_matched_as_questions(generated, kb):
    # Their greetings and sign-offs would make every article's questions a little alike.
    from triage.judging.training.train_answers import examples as fitted

    rough = [e for e in generated if e.rough]
    assert {e.text for e in rough} <= {e.text for e in fitted(kb)}
    for e in rough[::40]:
        found = kb.closest("", e.text)
        assert found is None or found[1].question != e.text, e.text


def test_the_same_action_in_another_product_is_a_near_miss_for_every_article(generated, kb):
    products = answer_phrases()["elsewhere"]["products"]
    # The rule holds only for products no article names (an article naming one answers it).
    named = {
        t
        for a in kb.versions()
        for t, _ in terms(f"{a.title} {' '.join(a.tags)} {a.body} {' '.join(a.questions)}")
    }
    assert not set(products) & named
    elsewhere = [e for e in generated if "/elsewhere" in (e.template or "")]
    assert {(e.near, e.lang) for e in elsewhere} == {(a.id, lang) for a in kb.articles for lang in LANGUAGES}
    assert all(e.article is None for e in elsewhere)
    # (a slip of the keyboard may fall on the product's name)
    assert sum(any(p in e.text for p in products) for e in elsewhere) >= 0.8 * len(elsewhere)


def test_the_address_an_account_was_registered_with_is_asked_of_account_locked(generated):
    # Registering is create-account's word, but which address was used is account-locked's answer
    # (your username is the address you signed up with); when or under which name is no article's.
    registered = [
        e for e in generated if not e.rough and e.template and e.template.startswith("account-locked/")
    ]
    for lang, word in (("en", "regist"), ("de", "registr"), ("fr", "inscri"), ("es", "registr")):
        assert any(word in e.text for e in registered if e.lang == lang), lang
    lookups = [e.text for e in generated if e.near is None]
    assert any("sign up" in t for t in lookups) and any("registriert" in t for t in lookups)
