"""``triage lang``: the language packs, and what each lacks before its mail can be answered."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from starter.cli.errors import EXIT_REFUSED, CliError
from starter.cli.kb import kb_folder
from triage.runtime.config import get_settings

lang_app = typer.Typer(
    help="The language packs (triage/languages/, TRIAGE_LANGUAGE_DIRS) and what each lacks.",
    no_args_is_help=True,
)


@lang_app.command("check")
def lang_check(
    code: Annotated[str | None, typer.Argument(help="One language (e.g. it); default: every pack.")] = None,
) -> None:
    """One line per pack, then one per thing it lacks; exit 1 when a pack lacks something."""
    from triage.domain.languages import broken_packs, lacks, packs

    found, broken = packs(), [b for b in broken_packs() if code is None or b.code == code]
    chosen = [p for p in found if code is None or p.code == code]
    if not chosen and not broken:
        raise CliError(f"no language pack {code} (packs: {', '.join(p.code for p in found)})")
    articles = _articles_per_language()
    checked = get_settings().policy_settings().checked_languages or []
    incomplete = 0
    for pack in chosen:
        missing = lacks(pack)
        count = articles.get(pack.code, 0)
        if count == 0:
            missing.append(f"no knowledge-base articles in {pack.code} ({kb_folder()} or {pack.folder}/kb)")
        state = "complete" if not missing else f"lacks {len(missing)}"
        # Checked: its mail may go out alone where an article in it answers; else a person answers it.
        mail = "checked" if pack.code in checked else "not checked, its mail waits for a human"
        articles_text = f"{count} article{'' if count == 1 else 's'}"
        print(f"{pack.code} ({pack.info.name}, {pack.folder}): {articles_text}, {state}; {mail}")
        for line in missing:
            print(f"{pack.code}: {line}")
        incomplete += bool(missing)
    for entry in broken:
        print(f"{entry.code}: left out, {entry.problem}")
    failed = incomplete + len({entry.code for entry in broken})
    if failed:
        raise CliError(f"{failed} language pack(s) incomplete or unreadable", EXIT_REFUSED)


def _articles_per_language() -> Counter[str]:
    """Articles per language in the knowledge base (read, not indexed: no model loads)."""
    from triage.judging.kb_articles import load_articles

    return Counter(article.language for article in load_articles(kb_folder()))
