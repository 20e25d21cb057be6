"""Language packs: everything the service knows of a language, in one folder of data.

A pack is a folder named for its language (``triage/languages/de/``, ISO 639-1,
optionally with a region: ``pt-br``) holding TOML files, each read by one module:

- ``pack.toml``: its name, and the words that detect it (``triage.judging.language``);
- ``replies.toml``: the fixed replies (``triage.domain.replies``);
- ``situation.toml``: the phrases of the problem-report checks (``triage.judging.situation``);
- ``closing.toml``: the words of a thank-you that needs no reply (``triage.judging.closing``);
- ``questions.toml``: the words of a question, to match it to an article's (``triage.judging.kb_words``);
- ``signature.toml``: sign-offs, footers, contact labels (``triage.domain.signature``);
- ``guards.toml``: phrases that raise a guard flag: money, legal, security... (``triage.judging.guards``);
- ``kb/``, optional: knowledge-base articles in the language (``triage.judging.kb_articles``).

The packaged packs are joined by those in the folders of ``TRIAGE_LANGUAGE_DIRS``
(a later folder's pack replaces an earlier one of the same code). Beside the packs,
``triage/languages/*.toml`` hold what is read across languages, and the words of
languages without a pack (their mail is recognised, and waits for a human).

A pack whose checks are complete (``lacks`` finds nothing) is a checked language:
its mail may be answered without a person. ``triage lang check`` lists what each
pack lacks. The phrase tables are compiled when their modules load, so the folders
are read from the environment, once per process.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

LANGUAGE_DIRS_VAR = "TRIAGE_LANGUAGE_DIRS"
PACK_FILE = "pack.toml"
KB_FOLDER = "kb"
# What the problem-report checks need of a pack: without these, its mail waits for a human.
CHECKED_TABLES = ("failure", "repeat", "dispute", "hypothetical")


M = TypeVar("M", bound=BaseModel)
log = logging.getLogger(__name__)


class LanguagePackError(ValueError):
    """A pack that cannot be read: the file and what is wrong with it."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Detection(_Data):
    words: str = ""  # common function words, space-separated
    letters: str = ""  # letters only this language writes (optional)


class PackInfo(_Data):
    name: str
    reply_prefixes: list[str] = []  # "AW:", "TR:": a reply's or a forward's subject (words)
    auto_reply_subjects: list[str] = []  # "Abwesenheitsnotiz": never answered (patterns, case ignored)
    detection: Detection = Detection()


class Replies(_Data):
    greeting: str | None = None
    thanks: str | None = None
    more: str | None = None
    closing: str | None = None
    holding: str | None = None
    acknowledgement: str | None = None
    update: str | None = None
    update_holding: str | None = None
    withdrawal: str | None = None
    signature: str | None = None
    no_subject: str | None = None

    def missing(self) -> list[str]:
        return [field for field in REPLY_FIELDS if not getattr(self, field)]


REPLY_FIELDS = tuple(Replies.model_fields)


class Situation(_Data):
    """Regular expressions on lower-cased text without accents (``triage.judging.situation``)."""

    failure: list[str] = []
    repeat: list[str] = []
    dispute: list[str] = []
    hypothetical: str = ""
    good_news: list[str] = []
    # Tables read across languages; a pack may add lines to any of them.
    other_failure: list[str] = []
    withdrawal: list[str] = []
    asks_why: list[str] = []
    takeover: list[str] = []
    privacy: list[str] = []
    statement_repeat: list[str] = []
    statement_failure: list[str] = []
    benign: list[str] = []
    # The words that open a question, those that open one asked outright, and asking why.
    question_words: list[str] = []
    asking_words: list[str] = []
    why_words: list[str] = []
    # Named lists of alternatives: ``{{name}}`` in a pattern stands for ``(?:one|of|them)``.
    words: dict[str, list[str]] = {}

    def table(self, name: str) -> list[str]:
        return [self._expand(p) for p in getattr(self, name)]

    def _expand(self, pattern: str) -> str:
        for name, alternatives in self.words.items():
            pattern = pattern.replace("{{" + name + "}}", "(?:" + "|".join(alternatives) + ")")
        return pattern


class Closing(_Data):
    """Alternatives of a message that only thanks (``triage.judging.closing``)."""

    thanks: list[str] = []
    done: list[str] = []
    signoff: list[str] = []
    thanks_for: list[str] = []
    thanked_for: list[str] = []
    determiners: list[str] = []
    asks: list[str] = []
    # A thank-you that still expects the answer ("I'll wait for your reply"): it needs no reply
    # itself, and must not close the thread's open review (``triage.judging.closing.awaits_reply``).
    waits: list[str] = []


class Questions(_Data):
    """The words of a customer's question (``triage.judging.kb_words``), space-separated."""

    function_words: str = ""
    asking_words: str = ""
    narrowing_words: str = ""
    determiners: str = ""
    existence: list[str] = []  # regular expressions, case ignored
    # How a question whether something can be done opens ("can I"): regular expressions.
    possibility: list[str] = []
    undoing: list[str] = []  # prefixes that undo a word
    # How a question for a fact of the customer's own past runs ("when did I sign up?"):
    # regular expressions, case ignored.
    lookup: list[str] = []
    # When the customer needs it done ("before Friday"): regular expressions, case ignored.
    deadline: list[str] = []


class Signature(_Data):
    """The signature block at the end of a message (``triage.domain.signature``): regular
    expressions, case ignored, each one alternative; ``connectors`` are words."""

    sign_off: list[str] = []
    thanks: list[str] = []
    sent_from: list[str] = []
    footer: list[str] = []  # how a legal footer opens
    contact_labels: list[str] = []
    content: list[str] = []
    connectors: list[str] = []


class Guards(_Data):
    """Phrases that raise a guard flag (``triage.judging.guards``), one table per flag:
    regular expressions, case ignored."""

    prompt_injection: list[str] = []
    money: list[str] = []
    legal: list[str] = []
    negative_sentiment: list[str] = []
    urgent: list[str] = []
    security: list[str] = []
    data_loss: list[str] = []


_PATTERN_TABLES = [name for name, field in Situation.model_fields.items() if field.annotation == list[str]]


class LanguagePack(_Data):
    code: str
    folder: str  # where it was found, as shown to a user
    info: PackInfo
    replies: Replies = Replies()
    situation: Situation = Situation()
    closing: Closing = Closing()
    questions: Questions = Questions()
    signature: Signature = Signature()
    guards: Guards = Guards()
    kb: Path | None = None  # its articles folder, if it has one


def is_language_code(name: str) -> bool:
    """``de``, ``pt-br``: a folder named for a language."""
    head = name.split("-", 1)[0]
    return 2 <= len(head) <= 3 and head.isalpha() and head.islower()


def _read(entry: Traversable) -> dict[str, Any]:
    try:
        return tomllib.loads(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise LanguagePackError(f"{entry}: {err}") from err


def _model(model: type[M], folder: Traversable, file: str) -> M:
    entry = folder.joinpath(file)
    data = _read(entry) if entry.is_file() else {}
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise LanguagePackError(f"{entry}: {problems}") from err


def read_pack(folder: Traversable, code: str | None = None) -> LanguagePack:
    """The pack in ``folder`` (named for its language)."""
    code = code or folder.name
    kb = folder.joinpath(KB_FOLDER)
    return LanguagePack(
        code=code,
        folder=str(folder),
        info=_model(PackInfo, folder, PACK_FILE),
        replies=_model(Replies, folder, "replies.toml"),
        situation=_model(Situation, folder, "situation.toml"),
        closing=_model(Closing, folder, "closing.toml"),
        questions=_model(Questions, folder, "questions.toml"),
        signature=_model(Signature, folder, "signature.toml"),
        guards=_model(Guards, folder, "guards.toml"),
        kb=Path(str(kb)) if kb.is_dir() else None,
    )


def packaged_folder() -> Traversable:
    return resources.files("triage").joinpath("languages")


def language_dirs(value: str | None = None) -> list[Path]:
    """The folders of ``TRIAGE_LANGUAGE_DIRS`` (separated like ``PATH``)."""
    raw = os.environ.get(LANGUAGE_DIRS_VAR, "") if value is None else value
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


def _pack_folders(root: Traversable) -> Iterable[Traversable]:
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and is_language_code(entry.name) and entry.joinpath(PACK_FILE).is_file():
            yield entry


def shared(name: str) -> dict[str, Any]:
    """A table read across languages: ``detection``, ``situation`` or ``closing``."""
    return _read(packaged_folder().joinpath(f"{name}.toml"))


def alternatives(tables: Iterable[BaseModel], field: str) -> str:
    """One regular-expression alternation of ``field``'s words over ``tables`` (the shared table, then each pack's)."""
    return "|".join(word for table in tables for word in getattr(table, field))


class Broken(NamedTuple):
    """A pack that cannot be read, or a folder that is none: left out, so its mail waits for a human."""

    code: str
    problem: str


class _Found(NamedTuple):
    packs: tuple[LanguagePack, ...]
    broken: tuple[Broken, ...]


@cache
def _found() -> _Found:
    found: dict[str, LanguagePack] = {}
    broken: list[Broken] = []
    roots: list[Traversable] = [packaged_folder()]
    for configured in language_dirs():
        if configured.is_dir():
            roots.append(configured)
        else:
            broken.append(Broken(configured.name, f"{LANGUAGE_DIRS_VAR}: {configured} is not a folder"))
    for root in roots:
        for folder in _pack_folders(root):
            try:
                candidate = read_pack(folder)
            except LanguagePackError as err:
                broken.append(Broken(folder.name, str(err)))
                continue
            if bad := _bad_patterns(candidate):
                broken += [Broken(folder.name, f"{folder}: {problem}") for problem in bad]
                continue
            found[folder.name] = candidate
    for entry in broken:
        log.warning("language pack left out (its mail waits for a human): %s", entry.problem)
    order = shared("detection")["order"]
    rank = {code: number for number, code in enumerate(order)}
    ordered = tuple(sorted(found.values(), key=lambda p: (rank.get(p.code, len(order)), p.code)))
    return _Found(ordered, tuple(broken))


def packs() -> tuple[LanguagePack, ...]:
    """Every pack that reads, packaged and configured, in the detection order (ties go to the first)."""
    return _found().packs


def broken_packs() -> tuple[Broken, ...]:
    """The packs left out: what is wrong with each, one line per problem."""
    return _found().broken


def lacks(found: LanguagePack) -> list[str]:
    """What a pack needs before its mail can be read by the checks and answered: one line each."""
    missing = []
    if not found.info.detection.words.split():
        missing.append("no detection words (pack.toml [detection] words)")
    missing += [
        f"no {name} phrases (situation.toml {name})"
        for name in CHECKED_TABLES
        if not getattr(found.situation, name)
    ]
    if not found.closing.thanks:
        missing.append("no thank-you words (closing.toml thanks)")
    missing += [f"no reply text {field} (replies.toml)" for field in found.replies.missing()]
    return missing


def _bad_patterns(found: LanguagePack) -> list[str]:
    """Phrases that are no regular expression (they would stop every reader from loading)."""
    tables = [
        ("pack.toml auto_reply_subjects", found.info.auto_reply_subjects),
        *((f"situation.toml {name}", found.situation.table(name)) for name in _PATTERN_TABLES),
        (
            "situation.toml hypothetical",
            [found.situation.hypothetical] if found.situation.hypothetical else [],
        ),
        *((f"closing.toml {name}", getattr(found.closing, name)) for name in Closing.model_fields),
        ("questions.toml existence", found.questions.existence),
        ("questions.toml possibility", found.questions.possibility),
        ("questions.toml lookup", found.questions.lookup),
        ("questions.toml deadline", found.questions.deadline),
        *((f"guards.toml {name}", getattr(found.guards, name)) for name in Guards.model_fields),
        *(
            (f"signature.toml {name}", getattr(found.signature, name))
            for name in Signature.model_fields
            if name != "connectors"
        ),
    ]
    bad = []
    for where, patterns in tables:
        for number, pattern in enumerate(patterns, 1):
            try:
                re.compile(pattern)
            except re.error as err:
                bad.append(f"{where} #{number} is no regular expression: {err}")
    return bad


def rescan() -> None:
    """Read the folders again on next use (tests; modules that compiled their tables keep them)."""
    _found.cache_clear()


def checked_languages() -> tuple[str, ...]:
    """The languages the problem-report checks read: every complete pack."""
    return tuple(p.code for p in packs() if not lacks(p))
