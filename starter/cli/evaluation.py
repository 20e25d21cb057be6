"""``triage eval``: classification and the send policy measured on labelled messages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starter.cli.output import JsonOption


def eval(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Labelled JSONL.")],
    provider: Annotated[str, typer.Option(help="offline or openai.")] = "offline",
    as_json: JsonOption = False,
    show_unsafe: Annotated[
        bool,
        typer.Option("--show-unsafe", help="List each unsafe auto-send and why every gate let it through."),
    ] = False,
) -> None:
    """Measure classification and the send policy on a labelled JSONL file (figures per source)."""
    from triage.judging.training.evaluation_cli import run_eval_command

    raise typer.Exit(run_eval_command(file, provider, as_json, show_unsafe))
