"""``triage kb check``: what is wrong with a knowledge-base folder, by file and line.

A folder of articles silently decides what is sent, so it is checked before
it is used: front matter that does not parse or lacks a field, ids used
twice, an article missing a translation the others have, and declared
questions no customer can reach (their closest match is another article's
question, so they never make their own article the answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from triage.domain.languages import is_language_code
from triage.judging.kb import KnowledgeBase
from triage.judging.kb_articles import DEFAULT_LANGUAGE, FRONT_MATTER, Article, parse_article

REQUIRED = ("id", "title", "url", "language", "questions")


@dataclass(frozen=True)
class KbProblem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class _Loaded:
    path: Path
    text: str
    article: Article

    def line_of(self, key: str, value: str | None = None) -> int:
        """The line of a front-matter key, or of a list item's value under it."""
        lines = self.text.splitlines()
        for number, line in enumerate(lines, 1):
            if value is None and line.startswith(f"{key}:"):
                return number
            if value is not None and line.lstrip().startswith("-") and _item(line) == value:
                return number
        return 1


def _item(line: str) -> object:
    try:
        return yaml.safe_load(line.lstrip()[1:].strip())
    except yaml.YAMLError:
        return None


def _files(directory: Path) -> list[tuple[Path, str | None]]:
    files: list[tuple[Path, str | None]] = [(p, None) for p in sorted(directory.glob("*.md"))]
    for sub in sorted(p for p in directory.iterdir() if p.is_dir() and is_language_code(p.name)):
        files.extend((p, sub.name) for p in sorted(sub.glob("*.md")))
    return files


def _parse(path: Path, folder_language: str | None, problems: list[KbProblem]) -> _Loaded | None:
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if not match:
        problems.append(KbProblem(path, 1, "no front matter (fields between two '---' lines at the top)"))
        return None
    try:
        # PyYAML's own loader, not libyaml's (start-up uses that): its marks name the line at fault.
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1  # 0-based, after the opening '---'
        problems.append(
            KbProblem(path, line, f"front matter is not valid YAML: {getattr(err, 'problem', err)}")
        )
        return None
    if not isinstance(meta, dict):
        problems.append(KbProblem(path, 1, "front matter is not a mapping of fields"))
        return None
    try:
        article = parse_article(text, path.stem, folder_language)
    except ValueError as err:
        problems.append(KbProblem(path, 1, f"front matter does not fit an article: {err}".splitlines()[0]))
        return None
    loaded = _Loaded(path, text, article)
    for field in REQUIRED:
        value = meta.get(field)
        if value is None or value == "" or value == []:
            problems.append(
                KbProblem(path, loaded.line_of(field) if field in meta else 1, f"missing field '{field}'")
            )
    if not article.body.strip():
        problems.append(KbProblem(path, 1, "the article has no text after the front matter"))
    expected = folder_language or DEFAULT_LANGUAGE
    if "language" in meta and article.language != expected:
        problems.append(
            KbProblem(
                path,
                loaded.line_of("language"),
                f"language '{article.language}' but the file is in the folder for '{expected}'",
            )
        )
    return loaded


def check_folder(directory: Path) -> list[KbProblem]:
    """Every problem of the knowledge base in ``directory``, in file order."""
    problems: list[KbProblem] = []
    loaded = [item for path, lang in _files(directory) if (item := _parse(path, lang, problems)) is not None]
    if not loaded and not problems:
        return [KbProblem(directory, 1, "no articles (*.md) in this folder")]

    seen: dict[tuple[str, str], _Loaded] = {}
    for item in loaded:
        key = (item.article.id, item.article.language)
        if key in seen:
            problems.append(
                KbProblem(
                    item.path,
                    item.line_of("id"),
                    f"duplicate id '{item.article.id}' in language '{key[1]}' (also in {seen[key].path})",
                )
            )
        else:
            seen[key] = item

    by_id: dict[str, dict[str, _Loaded]] = {}
    for (article_id, language), item in seen.items():
        by_id.setdefault(article_id, {})[language] = item
    languages = sorted({language for versions in by_id.values() for language in versions})
    for article_id, versions in by_id.items():
        main = versions.get(DEFAULT_LANGUAGE) or next(iter(versions.values()))
        if DEFAULT_LANGUAGE not in versions and languages and DEFAULT_LANGUAGE in languages:
            problems.append(
                KbProblem(
                    main.path,
                    main.line_of("id"),
                    f"translation of '{article_id}' without the article itself ({DEFAULT_LANGUAGE})",
                )
            )
        for language in languages:
            if language not in versions:
                problems.append(
                    KbProblem(
                        main.path,
                        main.line_of("id"),
                        f"'{article_id}' has no translation in '{language}' (other articles have one)",
                    )
                )

    kb = KnowledgeBase([item.article for item in seen.values()])
    for item in seen.values():
        for question in item.article.questions:
            problem = _reachability(kb, item.article, question)
            if problem:
                problems.append(KbProblem(item.path, item.line_of("questions", question), problem))
    order = {path: n for n, (path, _) in enumerate(_files(directory))}
    return sorted(problems, key=lambda p: (order.get(p.path, -1), p.line))


def _reachability(kb: KnowledgeBase, article: Article, question: str) -> str | None:
    """Asked as declared, which article would the question match (as ``KnowledgeBase.answer`` finds it)?"""
    asked = question if question.rstrip().endswith("?") else f"{question}?"  # declared: a question
    found = kb.closest("", asked)
    if found is None:
        return f'question "{question}" has no words that say what it is about, so it matches nothing'
    winner, match = found
    if winner != article.id:
        return (
            f'question "{question}" is unreachable: its best match is "{match.question}" '
            f"of article '{winner}' ({match.closeness:.2f})"
        )
    return None
