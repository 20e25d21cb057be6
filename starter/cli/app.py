"""The ``triage`` app: its options, its commands in the order ``--help`` lists them, and how it exits."""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated, Any

import typer

from starter.cli import (
    autonomy,
    decisions,
    emulator,
    evaluation,
    kb,
    lang,
    learning,
    llm,
    mail,
    reviews,
    services,
)
from starter.cli.errors import EXIT_OK, report


class _Triage(typer.Typer):
    """The app, run so that every error is one line and a documented exit code."""

    debug = False

    def __call__(self, args: list[str] | None = None, prog_name: str | None = None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        _Triage.debug = _take_flag(argv, "--debug") or os.environ.get("TRIAGE_DEBUG", "") not in ("", "0")
        command = typer.main.get_command(self)
        try:
            result = command.main(args=argv, prog_name=prog_name or "triage", standalone_mode=False, **extra)
            code = result if isinstance(result, int) else EXIT_OK
        except BaseException as err:
            code = report(err, debug=_Triage.debug)
        # The Temporal client and its runtime are gone by now (see temporal.with_client);
        # collect what an exception's traceback kept alive before Python finalizes.
        gc.collect()
        sys.exit(code)


def _take_flag(argv: list[str], flag: str) -> bool:
    """Remove ``flag`` from the options (not after ``--``): accepted before or after the command."""
    end = argv.index("--") if "--" in argv else len(argv)
    found = flag in argv[:end]
    argv[:end] = [a for a in argv[:end] if a != flag]
    return found


app = _Triage(help="AI triage for a support inbox, on Temporal.", no_args_is_help=True)


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (also after the command).")
    ] = False,
) -> None:
    """Exit codes: 0 success, 1 refused or not found, 2 usage, 3 Temporal or the API unreachable."""


# In the order ``triage --help`` lists them (a command's name is its function's, "_" as "-").
for command in (
    # the stack's parts
    services.server,
    emulator.mailsim,
    services.worker,
    services.judge,
    services.watch,
    services.api,
    services.up,
    services.codec_server,
    # reviews
    reviews.reviews,
    reviews.stats,
    reviews.show,
    decisions.approve,
    decisions.reject,
    decisions.close,
    decisions.redraft,
    autonomy.flag,
    # the emulator's inbox, the classifier
    emulator.send,
    evaluation.eval,
    # learning from reviewers
    learning.retrain,
):
    app.command()(command)
app.add_typer(kb.kb_app, name="kb")
app.add_typer(lang.lang_app, name="lang")
app.add_typer(mail.mail_app, name="mail")
app.add_typer(autonomy.autonomy_app, name="autonomy")
app.add_typer(learning.corrections_app, name="corrections")
app.add_typer(learning.schedule_app, name="schedule")
app.add_typer(learning.model_app, name="model")
app.add_typer(llm.llm_app, name="llm")
