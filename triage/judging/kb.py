"""The help-centre knowledge base: Markdown articles with YAML front matter.

Two ways in. ``search`` ranks whole articles by TF-IDF cosine, to give a
reviewer or an LLM the most relevant reading. ``answer`` decides whether an
article answers what the customer asked: each article declares the questions
it answers (``questions:``, several phrasings and languages; the packaged
articles also have the questions written for them in
``triage/judging/data/answers.jsonl``), the message's own questions are matched
with them by meaning and spelling (``triage.judging.kb_match``), and an acceptance
model gives the probability that the closest article truly answers. Sharing
words with an article is not enough: "I sent three invitations and none
arrived" is close to "How do I invite teammates?", but it is not answered by
it. A question naming something the article never mentions is listed as
unanswered, with those words (``triage.judging.kb_words``).

Articles exist per language: ``<id>.md`` at the top of the folder is the
article (English unless its front matter says otherwise) and
``<language>/<id>.md`` its translations, with the same ``id``. Search ranks
the articles; questions declared in any language answer for the article, and
``version`` gives the text in the customer's language. ``LiveKnowledgeBase``
reloads a folder when its files change."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from triage.domain.models import KbAnswer
from triage.domain.text import split_sentences
from triage.judging.answer_data import (
    customer_words,
    load_answer_examples,
    load_generated_examples,
    which_one_words,
)
from triage.judging.kb_articles import (
    DEFAULT_LANGUAGE,
    Article,
    answers,
    load_articles,
)
from triage.judging.kb_match import Match, QuestionIndex, shipped_acceptance
from triage.judging.kb_words import (
    Vocabulary,
    content_words,
    is_lookup,
    terms,
    unmentioned,
    without_deadline,
)
from triage.judging.tfidf import transform
from triage.judging.vectorizer import Tfidf

KB_MIN_SCORE = 0.12
# Content words a sentence needs to be read as a question of its own; one with fewer
# is read with the sentence before it ("I forgot my password. How can I reset it?").
CONTEXT_WORDS = 2
MAX_QUESTION_WORDS = 30
RELOAD_CHECK_SECONDS = 2.0
log = logging.getLogger(__name__)

# The articles themselves are triage.judging.kb_articles'; Article and answers stay importable
# from here, where the judging code reads the knowledge base.
__all__ = [
    "CONTEXT_WORDS",
    "KB_MIN_SCORE",
    "MAX_QUESTION_WORDS",
    "RELOAD_CHECK_SECONDS",
    "Article",
    "KnowledgeBase",
    "LiveKnowledgeBase",
    "answers",
    "load_knowledge_base",
]


@dataclass(frozen=True)
class _Asked:
    """One of the customer's sentences and the declared question closest to it."""

    text: str
    article: int
    question: str
    score: float


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?")


def _in_context(sentences: Sequence[str], index: int) -> str:
    """The question at ``index``, with the sentence before it when it names too
    little on its own ("I forgot my password. How can I reset it?"), or when that
    is the first half of the same sentence ("No tengo acceso al correo, ¿cómo
    recupero la cuenta?": the "¿" splits it, the condition is part of the question)."""
    question = sentences[index]
    if index > 0 and (
        len(content_words(question).split()) < CONTEXT_WORDS or sentences[index - 1].endswith(",")
    ):
        return f"{sentences[index - 1]} {question}"
    return question


def _askable(unit: str, whole: int) -> bool:
    """Can ``unit`` be matched as a question of its own? It says what it is about in
    two words, or in one when it is a question and the whole message ("Where is my
    order?"; not "<name>" alone); a part that names one thing only counts when the
    message says nothing more (not a subject "How about Edges?" over an issue's
    text); and it is no longer than a question (an issue template or a formal email
    without "?" is no one question)."""
    named, said = len(terms(unit)), len(content_words(unit).split())
    alone = named == whole > 0
    enough = said >= CONTEXT_WORDS and (named >= CONTEXT_WORDS or alone)
    return (enough or (said == 1 and alone and _is_question(unit))) and named <= MAX_QUESTION_WORDS


class KnowledgeBase:
    def __init__(
        self,
        articles: list[Article],
        written: Sequence[tuple[str, str]] = (),
        said: Mapping[str, Sequence[str]] | None = None,
        which_one: Collection[str] = (),
    ) -> None:
        """``written``: (article id, question) pairs written for these articles beside
        their declared questions (the packaged examples); matched like them. ``said``:
        per article id, the customers' words for what it is about that its texts never
        use (plan names, "eta", "charge back"): mentioned by it, like its own words.
        ``which_one``: words that only say which one ("platinum" in "my platinum account"):
        questions are matched with one word for all of them (``kb_match.what_is_asked``)."""
        # One version per id and language; ``articles`` holds one per id, the
        # default-language version where there is one (search ranks these).
        self._versions: dict[str, dict[str, Article]] = {}
        for article in articles:
            self._versions.setdefault(article.id, {}).setdefault(article.language, article)
        self.articles = [
            versions.get(DEFAULT_LANGUAGE) or next(iter(versions.values()))
            for versions in self._versions.values()
        ]
        index = {a.id: i for i, a in enumerate(self.articles)}
        # Questions declared in any language answer for the article: the primary
        # versions' questions first, then the translations'.
        primary = {id(a) for a in self.articles}
        ordered = [*self.articles, *(a for a in articles if id(a) not in primary)]
        self._vectorizer = Tfidf(sublinear_tf=True, ngram_range=(1, 2), strip_accents="unicode")
        docs = [f"{a.title} {a.title} {' '.join(a.tags)} {' '.join(a.tags)} {a.body}" for a in self.articles]
        self._matrix = self._vectorizer.fit_transform(docs) if self.articles else None
        self._questions = [(index[a.id], q) for a in ordered for q in a.questions]
        self._questions += [(index[article_id], q) for article_id, q in written if article_id in index]
        # The articles that say what the customer did ("which email did I sign up with?"):
        # one of their questions asks it.
        self._looks_up = {a for a, q in self._questions if is_lookup(q)}
        # What each article says, in any language: its titles, texts and the questions
        # it declares. A word of the customer's question outside it is not answered.
        # Each text's terms are found once: per article here, and for all of them below.
        said_terms = {
            article_id: [t for t, _ in terms(" ".join(words))] for article_id, words in (said or {}).items()
        }
        written_terms = {
            a.id: [
                t
                for v in self._versions[a.id].values()
                for t, _ in terms(f"{v.title} {v.body} {' '.join(v.questions)}")
            ]
            for a in self.articles
        }
        self._mentioned = [
            Vocabulary([*written_terms[a.id], *said_terms.get(a.id, ())]) for a in self.articles
        ]
        # The subjects of the knowledge base: what its titles and tags are about, and
        # the words of its declared questions that their own article talks about (an
        # article's prose also holds everyday words; a question, the customer's way of
        # asking: "wann kommt ...", "how soon ...", "contre votre société").
        told = {
            a.id: Vocabulary(
                t
                for v in self._versions[a.id].values()
                for t, _ in terms(f"{v.title} {' '.join(v.tags)} {v.body}")
            )
            for a in self.articles
        }
        self._subjects = Vocabulary(
            [t for v in self.versions() for t, _ in terms(f"{v.title} {' '.join(v.tags)}")]
            + [t for v in self.versions() for t, _ in terms(" ".join(v.questions)) if t in told[v.id]]
        )
        # The house's own names (the product, the team: "Acme Help"), in most articles'
        # texts or addresses: a customer naming them asks nothing an article must mention.
        seen_in: dict[str, int] = {}
        for a in self.articles:
            for term in {
                t for t, _ in terms(f"{a.title} {a.body} {(a.url or '').replace('-', ' ').replace('.', ' ')}")
            }:
                seen_in[term] = seen_in.get(term, 0) + 1
        self._house = Vocabulary(t for t, n in seen_in.items() if n * 2 > len(self.articles))
        self._index = (
            QuestionIndex(
                self._questions,
                [f"{a.title}. {a.body}" for a in self.articles],
                self._mentioned,
                Vocabulary(t for found in [*written_terms.values(), *said_terms.values()] for t in found),
                which_one,
            )
            if self._questions
            else None
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        """A folder of articles, or the packaged ones with the questions written for
        them (``triage/judging/data/answers.jsonl``: a folder of your own declares its own)."""
        articles = load_articles(directory)
        if directory is not None:
            return cls(articles)
        # The rough-register rows are the acceptance's to fit on: their greetings and
        # sign-offs would make every article's questions a little alike.
        written = [*load_answer_examples(), *(e for e in load_generated_examples() if not e.rough)]
        return cls(
            articles,
            [(e.article, e.text) for e in written if e.article is not None],
            customer_words(),
            which_one_words(),
        )

    def snapshot(self) -> KnowledgeBase:
        return self

    def version(self, article_id: str, language: str) -> Article | None:
        """The article in ``language``, if the knowledge base has it."""
        return self._versions.get(article_id, {}).get(language)

    def languages(self, article_id: str) -> list[str]:
        return sorted(self._versions.get(article_id, {}))

    def versions(self) -> list[Article]:
        return [a for versions in self._versions.values() for a in versions.values()]

    def search(self, text: str, k: int = 3) -> list[tuple[Article, float]]:
        if self._matrix is None or not text.strip():
            return []
        scores = (transform(self._vectorizer, [text]) @ self._matrix.T).toarray()[0]
        ranked = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [(self.articles[i], float(scores[i])) for i in ranked if scores[i] > 0]

    def best(self, text: str) -> tuple[Article, float] | None:
        """The most relevant article, if it is relevant enough to answer from."""
        hits = self.search(text, k=1)
        return hits[0] if hits and hits[0][1] >= KB_MIN_SCORE else None

    def supported(self, text: str, category: str) -> bool:
        hit = self.best(text)
        return hit is not None and answers(hit[0], category)

    def asked(self, subject: str, body: str) -> dict[str, str]:
        """What the message asks, each unit with its own words: the subject and the
        sentences ending in "?" (a question that names too little alone is read with
        the sentence before it, for matching; what it must find in the article are
        its own words only), or, without a question mark, the subject and the body
        whole (a signature's "<name>" must not match "How do I change my name?")."""
        sentences = split_sentences(body)
        own_words = {
            _in_context(sentences, i).strip(): s.strip() for i, s in enumerate(sentences) if _is_question(s)
        }
        units = [subject, *own_words] if own_words else [subject, body]
        whole = len(terms(without_deadline(f"{subject} {body}")))
        # When the customer needs it done ("before Friday") is their timing, not what is asked.
        asked = {
            without_deadline(u): without_deadline(own_words.get(u, u))
            for u in dict.fromkeys(u.strip() for u in units)
        }
        return {u: own for u, own in asked.items() if _askable(u, whole)}

    def closest(self, subject: str, body: str, leave_out: Collection[str] = ()) -> tuple[str, Match] | None:
        """The article closest to what the message asks, and how it was found (what
        the acceptance model reads; ``python -m triage.judging.training.train_answers`` fits it,
        leaving each of its examples out of the index while it is measured)."""
        asked = list(self.asked(subject, body))
        if self._index is None or not asked:
            return None
        best = max(self._index.match(asked, leave_out), key=lambda m: m.closeness)
        return self.articles[best.article].id, best

    def answer(self, subject: str, body: str) -> KbAnswer | None:
        """The declared question closest to what the customer asked, and the
        message's questions the answering article does not answer: those that
        nothing answers as closely, and those naming something the article
        never mentions (``unmentioned``), with the words it leaves out.

        The customer's questions are the sentences ending in "?" (and the
        subject); a message without one is read whole and line by line.
        """
        if self._index is None:
            return None
        asked = self.asked(subject, body)
        if not asked:
            return None
        units = list(asked)
        found = self._index.match(units)
        matched = [
            _Asked(unit, m.article, m.question, shipped_acceptance().probability(m))
            for unit, m in zip(units, found, strict=True)
        ]
        # The question the reply answers: the one an article is closest to.
        best = max(range(len(found)), key=lambda i: found[i].closeness)
        top, top_match = matched[best], found[best]
        # Another question of the message is answered by this reply only when its own
        # closest article is the answering one ("I forgot it. How do I reset it?").
        unmatched = {
            a.text for a in matched if a is not top and _is_question(a.text) and a.article != top.article
        }
        # A question that closely matches a declared one is still not answered when it
        # asks about something the article never mentions: a colleague's password, an
        # iPad, a webhook to delete. Said with the words, for the reviewer.
        mentioned = self._mentioned[top.article]
        unanswered = []
        for one in [top, *(a for a in matched if a is not top and _is_question(a.text))]:
            missing = [
                w
                for w in unmentioned(asked.get(one.text, one.text), mentioned, self._subjects)
                if w not in self._house
            ]
            if missing:
                words = ", ".join(f'"{w}"' for w in missing)
                unanswered.append(f"{one.text[:200]} (the article does not mention {words})")
            elif top.article not in self._looks_up and is_lookup(asked.get(one.text, one.text)):
                # "When did I sign up?" is close to "How do I sign up?", but asks what was
                # done, not how: answered only by an article that declares such questions.
                unanswered.append(f"{one.text[:200]} (it asks what was done, the article how to do it)")
            elif one.text in unmatched:
                unanswered.append(one.text[:200])
        return KbAnswer(
            article_id=self.articles[top.article].id,
            question=top.question,
            score=min(max(top.score, 0.0), 1.0),
            unanswered=unanswered,
            rival=self.articles[rival].id if (rival := top_match.rival) is not None else None,
        )

    def article(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when an article is added, edited, renamed or removed."""
    entries = []
    for path in directory.rglob("*.md"):
        try:
            stat = path.stat()
        except OSError:
            continue
        entries.append((str(path.relative_to(directory)), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(entries))


class LiveKnowledgeBase:
    """A knowledge-base folder, reloaded when its files change.

    Checked at most every ``interval`` seconds; a folder that no longer loads
    (a half-saved file) keeps the last good articles, and says so in the log.
    """

    def __init__(self, directory: Path, interval: float = RELOAD_CHECK_SECONDS) -> None:
        self.directory = Path(directory)
        self._interval = interval
        self._stamp = _fingerprint(self.directory)
        self._kb = KnowledgeBase.load(self.directory)
        self._checked = time.monotonic()

    def snapshot(self) -> KnowledgeBase:
        now = time.monotonic()
        if now - self._checked >= self._interval:
            self._checked = now
            stamp = _fingerprint(self.directory)
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._kb = KnowledgeBase.load(self.directory)
                    log.info(
                        "knowledge base %s reloaded: %d articles", self.directory, len(self._kb.articles)
                    )
                except (OSError, ValueError, yaml.YAMLError) as err:
                    log.warning(
                        "knowledge base %s not reloaded, keeping the last good one: %s", self.directory, err
                    )
        return self._kb

    @property
    def articles(self) -> list[Article]:
        return self.snapshot().articles

    def search(self, text: str, k: int = 3) -> list[tuple[Article, float]]:
        return self.snapshot().search(text, k)

    def best(self, text: str) -> tuple[Article, float] | None:
        return self.snapshot().best(text)

    def answer(self, subject: str, body: str) -> KbAnswer | None:
        return self.snapshot().answer(subject, body)

    def article(self, article_id: str) -> Article | None:
        return self.snapshot().article(article_id)

    def version(self, article_id: str, language: str) -> Article | None:
        return self.snapshot().version(article_id, language)


def load_knowledge_base(directory: Path | None) -> KnowledgeBase | LiveKnowledgeBase:
    """The packaged articles, or a folder of your own that reloads when it changes."""
    return LiveKnowledgeBase(directory) if directory is not None else KnowledgeBase.load()
