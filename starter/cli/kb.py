"""``triage kb``: check a knowledge-base folder, see what a question would cite."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from starter.cli.errors import EXIT_REFUSED, CliError
from starter.cli.output import JsonOption
from triage.runtime.config import get_settings

kb_app = typer.Typer(
    help="Check a knowledge-base folder and see what a question would cite.", no_args_is_help=True
)

KbDirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        exists=True,
        file_okay=False,
        help="The articles folder (default: TRIAGE_KB_DIR, else the packaged one).",
    ),
]


def kb_folder(directory: Path | None = None) -> Path:
    """The articles folder: ``directory``, else ``TRIAGE_KB_DIR``, else the packaged one."""
    if directory is not None:
        return directory
    configured = get_settings().kb_dir
    return configured if configured is not None else Path(str(resources.files("triage").joinpath("kb")))


@kb_app.command("check")
def kb_check(
    directory: Annotated[
        Path | None,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="The articles folder (default: TRIAGE_KB_DIR, else the packaged one).",
        ),
    ] = None,
) -> None:
    """Validate front matter, ids, translations and that every declared question can be reached."""
    from triage.judging.kb import KnowledgeBase
    from triage.judging.kb_check import check_folder

    folder = kb_folder(directory)
    problems = check_folder(folder)
    for problem in problems:
        print(problem)
    if problems:
        raise CliError(f"{len(problems)} problem(s) in {folder}", EXIT_REFUSED)
    kb = KnowledgeBase.load(folder)
    versions = kb.versions()
    languages = ", ".join(sorted({a.language for a in versions}))
    questions = sum(len(a.questions) for a in versions)
    print(
        f"{folder}: {len(kb.articles)} articles in {languages} ({len(versions)} files, {questions} questions): no problems"
    )


@kb_app.command("search")
def kb_search(
    question: Annotated[str, typer.Argument(help="What a customer asks.")],
    directory: KbDirOption = None,
    language: Annotated[str | None, typer.Option(help="The customer's language (default: detected).")] = None,
    as_json: JsonOption = False,
) -> None:
    """What a question would cite: the declared question it matches (and its score) and the search ranking."""
    from triage.judging.kb import KnowledgeBase
    from triage.judging.language import detect_language

    settings = get_settings()
    kb = KnowledgeBase.load(kb_folder(directory))
    lang = language or detect_language(question)
    answer = kb.answer("", question)
    cited = kb.version(answer.article_id, lang) or kb.article(answer.article_id) if answer else None
    hits = kb.search(question, k=3)
    threshold = settings.answer_threshold
    if as_json:
        print(
            json.dumps(
                {
                    "language": lang,
                    "answer": answer.model_dump() if answer else None,
                    "sendable": bool(answer and answer.score >= threshold and not answer.unanswered),
                    "cited": {
                        "id": cited.id,
                        "language": cited.language,
                        "title": cited.title,
                        "url": cited.url,
                    }
                    if cited
                    else None,
                    "search": [{"id": a.id, "title": a.title, "score": round(score, 4)} for a, score in hits],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if answer is None:
        print(f"language {lang}: no declared question to match (too few words that say what it is about)")
    else:
        verdict = "answers it" if answer.score >= threshold else "too far: no article answers it"
        print(
            f'language {lang}: closest declared question "{answer.question}" of {answer.article_id} '
            f"at {answer.score:.2f} (threshold {threshold:.2f}: {verdict})"
        )
        for other in answer.unanswered:
            print(f"  unanswered: {other}")
        if cited is not None:
            note = "" if cited.language == lang else f"  (no article in {lang}: the reply waits for a human)"
            print(f"cites: {cited.title} [{cited.language}] {cited.url or ''}{note}")
    print("search:")
    for article, score in hits:
        print(f"  {score:.2f}  {article.id}  {article.title}")
