"""Which article answers a question: found by meaning, then a calibrated yes or no.

Retrieval compares what the customer asks with every question the articles
declare, in any language, three ways: by meaning (the multilingual sentence
encoder), by spelling (character n-grams of the words that say what it is
about: robust to typos) and with the article's own text (its title and first
lines). An article's closeness is the blend of its best scores.

The closest article is not yet an answer: "need to see the eta of purchase"
is closest to "I want to make a purchase". The acceptance model turns what
retrieval saw (how close by each measure, how far ahead of the runner-up,
whether meaning and spelling agree, how much the question says, and which
share of its words the article, or any article, never mentions) into the
probability that the article truly answers it, with "no article" as a real
outcome. It is a logistic regression fitted on paraphrases and near-misses
written for the shipped articles (``triage/judging/data/answers.jsonl``, built by
``python -m triage.judging.training.train_answers``); its inputs describe a match, not an
article, so it carries over to a knowledge base of your own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from triage.judging.encoder import encoder
from triage.judging.kb_words import (
    ASKING_WORDS,
    FUNCTION_WORDS,
    Slips,
    Vocabulary,
    content_words,
    mistyped,
    terms,
)
from triage.judging.tfidf import transform
from triage.judging.vectorizer import Tfidf

# How the three measures blend into one closeness (ranks articles and questions).
SPELLING_WEIGHT = 0.7
ARTICLE_WEIGHT = 0.5
ARTICLE_TEXT_CHARS = 600
FEATURES = ("meaning", "spelling", "article", "margin", "agree", "words", "novel", "unknown")
ACCEPTANCE_FILE = "answer-acceptance.json"
# Below this lead, a match that meaning and spelling disagree on is contested: in the
# written examples, 5 in 36 such matches the model accepted at 0.8 were wrong (3.5 % overall).
CONTESTED_MARGIN = 0.1
# A reference (a word with four digits or more: "#48213", "ord-5531") says which one, not
# what is asked; glued to a word ("order113542617735902") it hides that word. Shorter numbers
# stay: "error 401" is what is asked.
_GLUED_REFERENCE = re.compile(r"(?<=[^\W\d_])(?=\d{4})")
_REFERENCE = re.compile(r"[#\w-]*\d{4}[\w-]*")
_PUNCTUATION = ".,;:!?¿¡()\"'"
# The one word all of them become, for meaning ("change to a premium account" still asks about
# an account's plan); for spelling they are dropped (no word of the customer's is shared).
PLACEHOLDER = "premium"


def what_is_asked(text: str, which_one: Collection[str] = (), instead: str = PLACEHOLDER) -> str:
    """The words of ``text`` that say what is asked: without references and without the
    words that only say which one (``which_one``: a plan's name in "the platinum account").
    Those are alike in every article's questions that take them, yet each written question
    names one or two: matched as they are, "change to the platinum account" found the one
    article whose written question happened to name platinum, not the one that changes plans."""
    kept = [
        instead if bare.lower() in which_one else word
        for word in _GLUED_REFERENCE.sub(" ", text).split()
        if not _REFERENCE.fullmatch(bare := word.strip(_PUNCTUATION))
        and (instead or bare.lower() not in which_one)
    ]
    return " ".join(kept) if kept else text


@dataclass(frozen=True)
class Match:
    """The article closest to one of the customer's questions, and how it was found."""

    article: int  # index into the articles the index was built with
    question: str  # the declared question closest to it
    closeness: float  # the blended score: ranks articles and the customer's questions
    features: tuple[float, ...]  # FEATURES, in order: the acceptance model's input
    # Another article as close: meaning and spelling each prefer a different one and the
    # lead is under CONTESTED_MARGIN ("edit the address": the email or the shipping one?).
    rival: int | None = None


class QuestionIndex:
    """Declared questions (article index, text) and the articles' texts, ready to match."""

    def __init__(
        self,
        questions: Sequence[tuple[int, str]],
        article_texts: Sequence[str],
        mentioned: Sequence[Vocabulary],
        known: Vocabulary,
        which_one: Collection[str] = (),
    ) -> None:
        # ``which_one``: words that only say which one (a plan's name): matched without them.
        # ``mentioned``: the words each article's texts and questions use, in any language;
        # ``known``: those of all articles (a word no article uses names what none covers).
        self._mentioned = mentioned
        self._known = known
        # Typos are found again among the knowledge base's words and the words of asking.
        self._slips = Slips([*known.words(), *FUNCTION_WORDS, *ASKING_WORDS])
        self._articles = np.array([a for a, _ in questions], dtype=np.int64)
        self._questions = [q for _, q in questions]
        self._n = len(article_texts)
        self._which_one = frozenset(w.lower() for w in which_one)
        self._meaning = encoder().encode_stored([what_is_asked(q, self._which_one) for q in self._questions])
        # Laid out by dimension too: BLAS multiplies several units with it in half the time of
        # ``self._meaning.T`` (same products, bit for bit); one unit goes to a vector product,
        # which rounds differently with that layout, and keeps the other.
        self._meaning_by_dimension = np.ascontiguousarray(self._meaning.T)
        self._article_meaning = encoder().encode_stored([t[:ARTICLE_TEXT_CHARS] for t in article_texts])
        self._spelling = Tfidf(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode"
        )
        # Transposed once (n-grams x questions, CSR): ``matrix.T`` in each match converted it again.
        self._spelling_by_gram = self._spelling.fit_transform(
            [content_words(what_is_asked(q, self._which_one, instead="")) for q in self._questions]
        ).T.tocsr()

    def _per_article(self, scores: np.ndarray) -> np.ndarray:
        """The best question's score for each article (rows: units)."""
        best = np.full((scores.shape[0], self._n), -1.0)
        for row, unit_scores in enumerate(scores):
            np.maximum.at(best[row], self._articles, unit_scores)
        return best

    def _novel(self, term: str, article: int) -> bool:
        """A word the article never mentions, even mistyped ("adfress" is its "address")."""
        mentioned = self._mentioned[article]
        return term not in mentioned and not mistyped(term, self._slips, mentioned, self._known)

    def match(self, units: Sequence[str], leave_out: Collection[str] = ()) -> list[Match]:
        """The closest article for each unit. ``leave_out``: questions not to match
        against (an example of the index, or its template, measured against the others,
        in training)."""
        if not units:
            return []
        vectors = encoder().encode([what_is_asked(u, self._which_one) for u in units])
        meaning = vectors @ (self._meaning_by_dimension if len(units) > 1 else self._meaning.T)
        spelling = (
            transform(
                self._spelling, [content_words(what_is_asked(u, self._which_one, instead="")) for u in units]
            )
            @ self._spelling_by_gram
        ).toarray()
        if leave_out:
            left = [i for i, q in enumerate(self._questions) if q in leave_out]
            meaning[:, left] = -1.0
            spelling[:, left] = -1.0
        by_meaning, by_spelling = self._per_article(meaning), self._per_article(spelling)
        by_article = vectors @ self._article_meaning.T
        blend = by_meaning + SPELLING_WEIGHT * by_spelling + ARTICLE_WEIGHT * by_article
        per_question = meaning + SPELLING_WEIGHT * spelling
        matches = []
        for row, unit in enumerate(units):
            ranked = np.argsort(-blend[row])
            top = int(ranked[0])
            runner_up = float(blend[row, ranked[1]]) if self._n > 1 else 0.0
            own = np.flatnonzero(self._articles == top)
            question = self._questions[int(own[np.argmax(per_question[row, own])])]
            words = len(content_words(unit).split())
            named = [t for t, _ in terms(unit)]
            novel = sum(self._novel(t, top) for t in named) / len(named) if named else 0.0
            unknown = sum(t not in self._known for t in named) / len(named) if named else 0.0
            features = (
                float(by_meaning[row, top]),
                float(by_spelling[row, top]),
                float(by_article[row, top]),
                float(blend[row, top]) - runner_up,
                float(int(np.argmax(by_meaning[row])) == int(np.argmax(by_spelling[row]))),
                math.log1p(words),
                novel,
                unknown,
            )
            contested = not features[4] and features[3] < CONTESTED_MARGIN
            # The rival: the article the other measure prefers (or the runner-up, when neither
            # measure prefers the blend's top).
            preferred = [int(np.argmax(by_meaning[row])), int(np.argmax(by_spelling[row]))]
            others = [a for a in preferred if a != top] or [int(i) for i in ranked[1:2]]
            rival = others[0] if contested and others else None
            matches.append(Match(top, question, float(blend[row, top]), features, rival))
        return matches


@dataclass(frozen=True)
class Acceptance:
    """P(the matched article answers the question) = sigmoid(weights . features + bias)."""

    weights: tuple[float, ...]
    bias: float

    def probability(self, match: Match) -> float:
        return self.probability_of(match.features)

    def probability_of(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def to_json(self, **extra: object) -> str:
        return json.dumps(
            {"features": list(FEATURES), "weights": list(self.weights), "bias": self.bias, **extra}, indent=1
        )

    @classmethod
    def from_json(cls, text: str) -> Acceptance:
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{ACCEPTANCE_FILE}: made for features {data['features']}, not {list(FEATURES)}")
        return cls(weights=tuple(float(w) for w in data["weights"]), bias=float(data["bias"]))


@cache
def shipped_acceptance() -> Acceptance:
    return Acceptance.from_json(
        resources.files("triage.judging").joinpath("model", ACCEPTANCE_FILE).read_text()
    )
