"""Knowledge-base articles: Markdown with YAML front matter, one folder per language of translations.

``<id>.md`` at the top of the folder is the article (English unless its front
matter says otherwise) and ``<language>/<id>.md`` its translations, with the same ``id``.
A language pack may carry translations too (``triage/languages/<code>/kb/<id>.md``):
they join whichever folder is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from triage.domain.languages import is_language_code, packs

FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*\n(.*)$", re.DOTALL)
DEFAULT_LANGUAGE = "en"


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


# libyaml's loader where PyYAML was built with it: the same safe subset, parsed in C (a third of
# the knowledge base's start-up went to parsing front matter in Python).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """``yaml.safe_load`` with libyaml's loader when there is one."""
    return yaml.load(text, Loader=SAFE_LOADER)


def parse_article(text: str, fallback_id: str, language: str | None = None) -> Article:
    match = FRONT_MATTER.match(text)
    meta: dict[str, object] = {}
    body = text
    if match:
        body = match.group(2)
        loaded = load_yaml(match.group(1))
        if not isinstance(loaded, dict):
            raise ValueError(f"{fallback_id}: the front matter is not a mapping")
        meta = {str(k): v for k, v in loaded.items()}
    meta.setdefault("id", fallback_id)
    meta.setdefault("title", fallback_id.replace("-", " ").capitalize())
    if language is not None:
        meta.setdefault("language", language)
    return Article(body=body.strip(), **meta)


def article_files(root: Traversable) -> Iterable[tuple[Traversable, str | None]]:
    """Every article file and the language its folder implies (None at the top)."""
    entries = sorted(root.iterdir(), key=lambda e: e.name)
    for entry in entries:
        if entry.name.endswith(".md") and entry.is_file():
            yield entry, None
    for entry in entries:
        if entry.is_dir() and is_language_code(entry.name):
            for sub in sorted(entry.iterdir(), key=lambda e: e.name):
                if sub.name.endswith(".md") and sub.is_file():
                    yield sub, entry.name


def pack_article_files() -> Iterable[tuple[Traversable, str]]:
    """The articles language packs carry (``<pack>/kb/<id>.md``), translations in the pack's language."""
    for found in packs():
        if found.kb is not None:
            for entry in sorted(found.kb.glob("*.md")):
                yield entry, found.code


def all_article_files(root: Traversable) -> Iterable[tuple[Traversable, str | None]]:
    """A knowledge-base folder's articles, and those of the language packs."""
    yield from article_files(root)
    yield from pack_article_files()


def load_articles(directory: Path | None = None) -> list[Article]:
    """The articles of ``directory`` (default: the packaged knowledge base) and the language
    packs' translations, parsed (no index built)."""
    root: Traversable = Path(directory) if directory is not None else resources.files("triage").joinpath("kb")
    return [
        parse_article(entry.read_text(encoding="utf-8"), entry.name[:-3], language)
        for entry, language in all_article_files(root)
    ]


def article_ids(directory: Path | None = None) -> set[str]:
    """The ids of the knowledge base's articles, read from their front matter (no index built)."""
    return {article.id for article in load_articles(directory)}
