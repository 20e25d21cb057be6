"""``triage lang``: the language packs, and what each lacks before its mail can be answered."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from starter.cli.errors import EXIT_REFUSED, CliError
from triage.runtime.config import get_settings

lang_app = typer.Typer(
    help="The language packs (triage/languages/, TRIAGE_LANGUAGE_DIRS) and what each lacks.",
    no_args_is_help=True,
)


def _kb_folder() -> Path:
    configured = get_settings().kb_dir
    return configured if configured is not None else Path(str(resources.files("triage").joinpath("kb")))


@lang_app.command("check")
def lang_check(
    code: Annotated[str | None, typer.Argument(help="One language (e.g. it); default: every pack.")] = None,
) -> None:
    """One line per pack, then one per thing it lacks; exit 1 when a pack lacks something."""
    from triage.domain.languages import LanguagePackError, lacks, packs

    try:
        found = packs()
    except LanguagePackError as err:
        raise CliError(str(err)) from err
    chosen = [p for p in found if code is None or p.code == code]
    if not chosen:
        raise CliError(f"no language pack {code} (packs: {', '.join(p.code for p in found)})")
    articles = _articles_per_language()
    checked = get_settings().checked_languages
    incomplete = 0
    for pack in chosen:
        missing = lacks(pack)
        count = articles.get(pack.code, 0)
        if count == 0:
            missing.append(f"no knowledge-base articles in {pack.code} ({_kb_folder()} or {pack.folder}/kb)")
        state = "complete" if not missing else f"lacks {len(missing)}"
        mail = "may go out alone" if pack.code in checked else "waits for a human"
        print(f"{pack.code} ({pack.info.name}, {pack.folder}): {count} articles, {state}; its mail {mail}")
        for line in missing:
            print(f"{pack.code}: {line}")
        incomplete += bool(missing)
    if incomplete:
        raise CliError(f"{incomplete} of {len(chosen)} language pack(s) incomplete", EXIT_REFUSED)


def _articles_per_language() -> dict[str, int]:
    from triage.judging.kb import KnowledgeBase

    counts: dict[str, int] = {}
    for article in KnowledgeBase.load(get_settings().kb_dir).versions():
        counts[article.language] = counts.get(article.language, 0) + 1
    return counts
