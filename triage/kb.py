"""The help-centre knowledge base: Markdown articles with YAML front matter.

Two ways in. ``search`` ranks whole articles by TF-IDF cosine, to give a
reviewer or an LLM the most relevant reading. ``answer`` decides whether an
article answers what the customer asked: each article declares the questions
it answers (``questions:``, several phrasings and languages), and the
message's own questions are compared with them one by one, on character
n-grams (robust to typos, inflections and other languages). Sharing words with
an article is not enough: "I sent three invitations and none arrived" shares
words with "How do I invite teammates?", but only a question that closely
matches a declared one can be answered without a human.

Articles exist per language: ``<id>.md`` at the top of the folder is the
article (English unless its front matter says otherwise) and
``<language>/<id>.md`` its translations, with the same ``id``. Search ranks
the articles; questions declared in any language answer for the article, and
``version`` gives the text in the customer's language. ``LiveKnowledgeBase``
reloads a folder when its files change."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from importlib import resources
from importlib.abc import Traversable
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
DEFAULT_LANGUAGE = "en"
RELOAD_CHECK_SECONDS = 2.0
log = logging.getLogger(__name__)


class Article(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True)  # "tags: [401, 403]"

    id: str
    title: str
    url: str | None = None
    language: str = DEFAULT_LANGUAGE
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


def parse_article(text: str, fallback_id: str, language: str | None = None) -> Article:
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
    if language is not None:
        meta.setdefault("language", language)
    return Article(body=body.strip(), **meta)


def _is_language_dir(name: str) -> bool:
    """``de``, ``pt-br``: a folder of translations."""
    head = name.split("-", 1)[0]
    return 2 <= len(head) <= 3 and head.isalpha() and head.islower()


def _article_files(root: Traversable) -> Iterable[tuple[Traversable, str | None]]:
    """Every article file and the language its folder implies (None at the top)."""
    entries = sorted(root.iterdir(), key=lambda e: e.name)
    for entry in entries:
        if entry.name.endswith(".md") and entry.is_file():
            yield entry, None
    for entry in entries:
        if entry.is_dir() and _is_language_dir(entry.name):
            for sub in sorted(entry.iterdir(), key=lambda e: e.name):
                if sub.name.endswith(".md") and sub.is_file():
                    yield sub, entry.name



def article_ids(directory: Path | None = None) -> set[str]:
    """The ids of the knowledge base's articles, read from their front matter (no index built)."""
    root: Traversable = Path(directory) if directory is not None else resources.files("triage").joinpath("kb")
    return {parse_article(entry.read_text(encoding="utf-8"), entry.name[:-3], language).id for entry, language in _article_files(root)}


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


def _in_context(sentences: Sequence[str], index: int) -> str:
    """The question at ``index``, with the sentence before it when it names too
    little on its own: "I forgot my password. How can I reset it?"."""
    question = sentences[index]
    if index > 0 and len(content_words(question).split()) < MIN_WORDS:
        return f"{sentences[index - 1]} {question}"
    return question


# Words that say how a question is asked, not what it is about ("quick question",
# "I was wondering", "ich möchte", "je voudrais", "necesito"): a question may use
# them without the article having to mention them.
ASKING_WORDS = frozenset(
    """
    question questions quick quickly urgent urgently asap really actually currently just only also too
    still again now today already all every each anything something someone somebody anyone else keep keeps
    about never support company business current currently
    button buttons menu screen tab section page setting settings new
    before after until since while during into onto than then if but because via per within
    wonder wondering wondered ask asking asked try trying tried hope hoping wish sure unsure
    explain understand figure guide instructions steps step process procedure option options
    kindly dear sir madam guys team folks ok okay yes no not don't dont doesn't doesnt didn't
    can't cant cannot won't isn't aren't wasn't exactly simply anyway thing things stuff etc
    use using used go going make making do doing done
    frage fragen kurze schnell dringend eigentlich gerne gern möchte möchten würde würden gibt geht
    habe hast hat haben hatte bin wird werden wurde soll sollte könnte könnten darf mir man nicht
    noch auch schon jetzt heute alle alles jede jeden jeder etwas jemand mal einfach genau
    vor nach bis seit während wenn ob aber aktuell neu neue neuen neuer neues
    existe faire fait peux pouvez voudrais voudrait souhaite souhaiterais aimerais besoin savoir
    rapide urgent merci bonjour svp moyen faut dois doit avez avoir être suis ai y pas ne se me moi
    en leur leurs nos vos ces son ses sa quel quelle quels quelles combien pourquoi encore aussi
    déjà toujours très tout tous toute toutes quelque chose quelqu'un
    avant après jusqu depuis pendant si mais actuel actuellement nouveau nouvelle nouveaux
    quiero quisiera necesito gustaría favor saber hay tengo tienen tiene hacer debo puedes pueden
    podría podrían cuál cuáles cuánto cuántos cuánta cuántas también todavía ya muy todo todos toda
    todas le les nos sus tu tus esto este esta estos estas ese esa eso está estoy ser estar soy
    pregunta rápida urgente ayuda ayudar no si sí algo alguien ahora hoy
    antes después hasta desde mientras pero actual actualmente nuevo nueva nuevos nuevas
    """.split()
)
# Words that narrow what is asked to a part ("only one project", "un solo proyecto"):
# the article must say something about that part, or it does not answer.
NARROWING_WORDS = frozenset(
    """
    one single specific individual particular selected partial
    einzeln einzelne einzelnes einzelnen bestimmte bestimmten bestimmtes
    seul seule unique spécifique spécifiques particulier particulière
    solo sola único única específico específica concreto concreta
    """.split()
)
_PREFACE = re.compile(r"^[^:?]{0,60}:\s+(?=\S)")
# "customer service", "customer support": a name for support, not a customer of the asker's.
_SUPPORT_NAME = re.compile(r"\b(?:customer|client)\s+(?=(?:service|services|support|care)\b)", re.IGNORECASE)
# The undoing of something: "disconnect", "deactivate", "désactiver", "desconecto".
_UNDOING = ("dis", "des", "de", "un")
_WORD_PARTS = re.compile(r"['’-]")


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_SKIPPED = frozenset(_unaccented(w) for w in FUNCTION_WORDS | ASKING_WORDS)
_NARROWING = frozenset(_unaccented(w) for w in NARROWING_WORDS)


def _terms(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` that name what it is about, each with whether it is
    written as a name (capitalised after the first word: "iPad", "Jira", "SMS").
    No function or asking words, no numbers (order numbers are references, not
    topics); unaccented, lower-case, compounds and elisions split ("zwei-faktor",
    "l'adresse")."""
    terms: dict[str, bool] = {}
    for position, match in enumerate(_WORD.finditer(text)):
        word = match.group()
        plain = _unaccented(word.lower())
        if plain in _SKIPPED:
            continue
        named = position > 0 and any(c.isupper() for c in word)
        for part in _WORD_PARTS.split(plain):
            if len(part) >= 3 and part not in _SKIPPED and not part.isdigit():
                terms[part] = terms.get(part, False) or named
    return list(terms.items())


def _same_word(a: str, b: str) -> bool:
    """The same word, inflected or mistyped: "invitation(s)", "close/closing",
    "exporto/exportar", "addrtess/address"; not "connect/disconnect",
    "app/apple", "team/teammate" or "change/channel"."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if len(short) <= 4:
        return long.startswith(short) and long[len(short):] in {"s", "es", "e", "n", "en"}
    common = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    slack = 1 if len(short) <= 6 else 2 if len(short) <= 8 else 3
    if common >= max(4, len(short) - slack):
        return True
    return common >= 4 and SequenceMatcher(None, short, long).ratio() >= 0.85


class _Vocabulary:
    """Words, found again in any inflection or with a typo."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_start: dict[str, list[str]] = {}
        for word in set(words):
            self._by_start.setdefault(word[:3], []).append(word)

    def __contains__(self, word: str) -> bool:
        return any(_same_word(word, w) for w in self._by_start.get(word[:3], ()))


def unmentioned(question: str, mentioned: _Vocabulary, known: _Vocabulary) -> list[str]:
    """The words of ``question`` naming something the article (``mentioned``) does
    not: a topic of the knowledge base (``known``) that this article leaves out
    ("delete" against the webhooks article, "ipad" against the browsers one), or
    a name no article gives ("Jira", "Apple Watch"). Other words it does not
    hold are taken as the customer's own way of asking."""
    asked = _SUPPORT_NAME.sub("", _PREFACE.sub("", question.strip()))  # "One more question: how do I ...?"
    return [
        t for t, named in _terms(asked) if (named or t in _NARROWING or _is_subject(t, known)) and t not in mentioned
    ]


def _is_subject(word: str, known: _Vocabulary) -> bool:
    """A subject of the knowledge base, or its undoing ("disconnect": "connect")."""
    if word in known:
        return True
    return any(word.startswith(p) and len(word) - len(p) >= 5 and word[len(p):] in known for p in _UNDOING)


class KnowledgeBase:
    def __init__(self, articles: list[Article]) -> None:
        # One version per id and language; ``articles`` holds one per id, the
        # default-language version where there is one (search ranks these).
        self._versions: dict[str, dict[str, Article]] = {}
        for article in articles:
            self._versions.setdefault(article.id, {}).setdefault(article.language, article)
        self.articles = [
            versions.get(DEFAULT_LANGUAGE) or next(iter(versions.values())) for versions in self._versions.values()
        ]
        index = {a.id: i for i, a in enumerate(self.articles)}
        # Questions declared in any language answer for the article: the primary
        # versions' questions first, then the translations'.
        primary = {id(a) for a in self.articles}
        ordered = [*self.articles, *(a for a in articles if id(a) not in primary)]
        self._vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), strip_accents="unicode")
        docs = [f"{a.title} {a.title} {' '.join(a.tags)} {' '.join(a.tags)} {a.body}" for a in self.articles]
        self._matrix = self._vectorizer.fit_transform(docs) if self.articles else None
        self._questions = [(index[a.id], q) for a in ordered for q in a.questions]
        # What each article says, in any language: its titles, texts and the questions
        # it declares. A word of the customer's question outside it is not answered.
        self._mentioned = [
            _Vocabulary(
                t for v in self._versions[a.id].values() for t, _ in _terms(f"{v.title} {v.body} {' '.join(v.questions)}")
            )
            for a in self.articles
        ]
        # The subjects of the knowledge base: what its titles, tags and declared
        # questions are about (an article's prose also holds everyday words).
        self._subjects = _Vocabulary(
            t for v in self.versions() for t, _ in _terms(f"{v.title} {' '.join(v.tags)} {' '.join(v.questions)}")
        )
        # The house's own names (the product, the team: "Acme Help"), in most articles'
        # texts or addresses: a customer naming them asks nothing an article must mention.
        seen_in: dict[str, int] = {}
        for a in self.articles:
            for term in {t for t, _ in _terms(f"{a.title} {a.body} {(a.url or '').replace('-', ' ').replace('.', ' ')}")}:
                seen_in[term] = seen_in.get(term, 0) + 1
        self._house = _Vocabulary(t for t, n in seen_in.items() if n * 2 > len(self.articles))
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
        root: Traversable = Path(directory) if directory is not None else resources.files("triage").joinpath("kb")
        return cls(
            [
                parse_article(entry.read_text(encoding="utf-8"), entry.name[:-3], language)
                for entry, language in _article_files(root)
            ]
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
        message's questions the answering article does not answer: those that
        nothing answers as closely, and those naming something the article
        never mentions (``unmentioned``), with the words it leaves out.

        The customer's questions are the sentences ending in "?" (and the
        subject); a message without one is read whole and line by line.
        """
        if self._question_matrix is None:
            return None
        sentences = split_sentences(body)
        # Each question read with the sentence before it when it names too little alone
        # (for matching); what it must find in the article are its own words only.
        own_words = {_in_context(sentences, i).strip(): s.strip() for i, s in enumerate(sentences) if _is_question(s)}
        asked = list(own_words)
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
        # A question whose closest declared question is the answering article's own is
        # about the same thing, however loosely put ("I forgot it. How do I reset it?").
        unmatched = {a.text for a in others if a.score < top.score * UNANSWERED_RATIO and a.article != top.article}
        # A question that closely matches a declared one is still not answered when it
        # asks about something the article never mentions: a colleague's password, an
        # iPad, a webhook to delete. Said with the words, for the reviewer.
        mentioned = self._mentioned[top.article]
        unanswered = []
        for one in [top, *(a for a in best if a is not top and _is_question(a.text))]:
            missing = [
                w for w in unmentioned(own_words.get(one.text, one.text), mentioned, self._subjects) if w not in self._house
            ]
            if missing:
                words = ", ".join(f'"{w}"' for w in missing)
                unanswered.append(f"{one.text[:200]} (the article does not mention {words})")
            elif one.text in unmatched:
                unanswered.append(one.text[:200])
        return KbAnswer(
            article_id=self.articles[top.article].id,
            question=top.question,
            score=min(max(top.score, 0.0), 1.0),
            unanswered=unanswered,
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
                    log.info("knowledge base %s reloaded: %d articles", self.directory, len(self._kb.articles))
                except (OSError, ValueError, yaml.YAMLError) as err:
                    log.warning("knowledge base %s not reloaded, keeping the last good one: %s", self.directory, err)
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
