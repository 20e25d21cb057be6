"""The help-centre knowledge base: Markdown articles with YAML front matter.

Two ways in. ``search`` ranks whole articles by TF-IDF cosine, to give a
reviewer or an LLM the most relevant reading. ``answer`` decides whether an
article answers what the customer asked: each article declares the questions
it answers (``questions:``, several phrasings and languages), and the
message's own questions are compared with them one by one, on character
n-grams (robust to typos, inflections and other languages). Sharing words with
an article is not enough: "I sent three invitations and none arrived" shares
words with "How do I invite teammates?", but only a question that closely
matches a declared one can be answered without a human."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from triage.llm.text import split_sentences
from triage.models import KbAnswer

KB_MIN_SCORE = 0.12
# Another of the customer's questions counts as unanswered when it matches no
# declared question even this fraction as well as the best one does.
UNANSWERED_RATIO = 0.75
MIN_WORDS = 2  # content words a sentence needs to count as a question of its own
_FRONT = re.compile(r"^---\s*\n(.*?)\n---\s*\n(.*)$", re.DOTALL)


class Article(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # "tags: [401, 403]"

    id: str
    title: str
    url: str | None = None
    tags: list[str] = Field(default_factory=list)
    # The categories whose messages this article answers; empty means any. An
    # article on reporting bugs is cited for a bug report, but is no reason to
    # auto-send a reply to a message classified as routine.
    categories: list[str] = Field(default_factory=list)
    # The customer questions this article fully answers, in several phrasings and
    # languages; an article without any is never the reason to send on its own.
    questions: list[str] = Field(default_factory=list)
    body: str


class HasCategories(Protocol):
    @property
    def categories(self) -> Sequence[str]: ...


def answers(article: HasCategories, category: str) -> bool:
    """Does ``article`` support a reply to a message in ``category``?"""
    return not article.categories or category in article.categories


def parse_article(text: str, fallback_id: str) -> Article:
    match = _FRONT.match(text)
    meta: dict[str, object] = {}
    body = text
    if match:
        body = match.group(2)
        loaded = yaml.safe_load(match.group(1))
        if not isinstance(loaded, dict):
            raise ValueError(f"{fallback_id}: the front matter is not a mapping")
        meta = {str(k): v for k, v in loaded.items()}
    meta.setdefault("id", fallback_id)
    meta.setdefault("title", fallback_id.replace("-", " ").capitalize())
    return Article(body=body.strip(), **meta)


@dataclass(frozen=True)
class _Asked:
    """One of the customer's sentences and the declared question closest to it."""

    text: str
    article: int
    question: str
    score: float


# Words every question has ("how do I", "wie kann ich", "comment puis-je"): left out
# of question matching, so that what is asked about decides the match.
FUNCTION_WORDS = frozenset(
    """
    a an the to of in on for at by with from and or is are am be was were it its this that there
    i me my we our us you your he she they them do does did can could would should will shall may
    how what where when which who why whom please pls plz hi hello hey thanks thank need want like
    wanna gotta got have has had any some help know tell show see let im i'm id i'd ive i've
    get getting find check looking information info details assistance way possible able
    ich mein meine meinen mich wir unser du sie ihr wie was wo wann kann konnen können muss bitte
    der die das den dem des ein eine einen und oder ist sind zu mit fur für auf von im am es
    je j' mon ma mes nous notre vous votre comment quoi ou où quand puis-je peut-on est-ce que qui
    le la les l' un une des du de et ou est sont pour avec sur dans au aux ce cette il elle
    yo mi mis nosotros nuestro usted su como cómo que qué donde dónde cuando puedo puede
    el la los las un una unos unas y o es son para con en por al del lo se me hola gracias
    """.split()
)
_WORD = re.compile(r"[\w'-]+")


def content_words(text: str) -> str:
    """The words of a question that say what it is about."""
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in FUNCTION_WORDS)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?")


class KnowledgeBase:
    def __init__(self, articles: list[Article]) -> None:
        self.articles = articles
        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), strip_accents="unicode")
        docs = [f"{a.title} {a.title} {' '.join(a.tags)} {' '.join(a.tags)} {a.body}" for a in articles]
        self._matrix = self._vectorizer.fit_transform(docs) if articles else None
        self._questions = [(i, q) for i, a in enumerate(articles) for q in a.questions]
        self._question_vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, strip_accents="unicode"
        )
        self._question_matrix = (
            self._question_vectorizer.fit_transform([content_words(q) for _, q in self._questions])
            if self._questions
            else None
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        if directory is not None:
            files = sorted(Path(directory).glob("*.md"))
            return cls([parse_article(f.read_text(encoding="utf-8"), f.stem) for f in files])
        package = resources.files("triage").joinpath("kb")
        entries = sorted((e for e in package.iterdir() if e.name.endswith(".md")), key=lambda e: e.name)
        return cls([parse_article(e.read_text(encoding="utf-8"), e.name[:-3]) for e in entries])

    def search(self, text: str, k: int = 3) -> list[tuple[Article, float]]:
        if self._matrix is None or not text.strip():
            return []
        scores = linear_kernel(self._vectorizer.transform([text]), self._matrix)[0]
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [(self.articles[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def best(self, text: str) -> tuple[Article, float] | None:
        """The most relevant article, if it is relevant enough to answer from."""
        hits = self.search(text, k=1)
        return hits[0] if hits and hits[0][1] >= KB_MIN_SCORE else None

    def supported(self, text: str, category: str) -> bool:
        hit = self.best(text)
        return hit is not None and answers(hit[0], category)

    def answer(self, subject: str, body: str) -> KbAnswer | None:
        """The declared question closest to what the customer asked, and the
        message's other questions that nothing answers as closely.

        The customer's questions are the sentences ending in "?" (and the
        subject); a message without one is read whole and line by line.
        """
        if self._question_matrix is None:
            return None
        sentences = split_sentences(body)
        asked = [s for s in sentences if _is_question(s)]
        # Without a question mark the request is the message itself, not any one line
        # of it: a signature's "<name>" must not match "How do I change my name?".
        units = [subject, *asked] if asked else [subject, body]
        units = [u for u in dict.fromkeys(u.strip() for u in units) if len(content_words(u).split()) >= MIN_WORDS]
        if not units:
            return None
        asked_about = [content_words(u) for u in units]
        scores = linear_kernel(self._question_vectorizer.transform(asked_about), self._question_matrix)
        best = [
            _Asked(unit, *self._questions[int(row.argmax())], float(row.max()))
            for unit, row in zip(units, scores, strict=True)
        ]
        top = max(best, key=lambda a: a.score)
        others = [a for a in best if a is not top and _is_question(a.text) and a.score < top.score]
        return KbAnswer(
            article_id=self.articles[top.article].id,
            question=top.question,
            score=min(max(top.score, 0.0), 1.0),
            unanswered=[a.text[:200] for a in others if a.score < top.score * UNANSWERED_RATIO],
        )

    def article(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)
