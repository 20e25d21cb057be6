"""Exit codes, and the one line each failure ends in."""

from __future__ import annotations

import os
import traceback

import typer
from typer._click import exceptions as click  # the click Typer bundles: its errors

from starter.cli.output import err_console
from starter.cli.temporal import CONNECT_TIMEOUT
from triage.runtime.config import get_settings

EXIT_OK = 0
EXIT_REFUSED = 1  # refused, not found, or failed
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # Temporal, a worker or the reviewer API did not answer


class CliError(Exception):
    """A failure the operator can act on: printed as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def report(err: BaseException, *, debug: bool) -> int:
    """Print ``err`` as one line on stderr (and its traceback with ``debug``); return the exit code."""
    if isinstance(err, SystemExit):  # sys.exit() inside a command
        return err.code if isinstance(err.code, int) else (EXIT_OK if err.code is None else EXIT_REFUSED)
    if isinstance(err, click.NoArgsIsHelpError):  # the help is printed already
        return EXIT_USAGE
    if isinstance(err, click.UsageError):
        where = err.ctx.command_path if err.ctx else "triage"
        err_console.print(
            f"{where}: {one_line(err.format_message())} (see '{where} --help')",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_USAGE
    code, message = explain(err)
    if debug:
        traceback.print_exception(err)
    err_console.print(f"triage: {message}", markup=False, highlight=False, soft_wrap=True)
    return code


def explain(err: BaseException) -> tuple[int, str]:
    """An exit code and a one-line message for anything a command can raise."""
    from pydantic import ValidationError
    from temporalio.client import (
        WorkflowQueryFailedError,
        WorkflowQueryRejectedError,
        WorkflowUpdateRPCTimeoutOrCancelledError,
    )
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import ReviewRejected

    try:
        address = get_settings().temporal_address
    except ValidationError:
        address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    match err:
        case CliError():
            return err.code, one_line(str(err))
        case ValidationError():  # the settings (environment, TRIAGE_CONFIG) or a value given
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors()[:3])
            return EXIT_USAGE, f"invalid {err.title}: {one_line(problems)}"
        case typer.Abort() | KeyboardInterrupt():
            return 130, "interrupted"
        case click.ClickException():
            return err.exit_code, one_line(err.format_message())
        case ReviewRejected():
            return EXIT_REFUSED, f"refused ({err.kind}): {one_line(str(err))}"
        case RPCError() if err.status == RPCStatusCode.NOT_FOUND:
            return EXIT_REFUSED, f"not found: {one_line(err.message)}"
        case RPCError() if err.status == RPCStatusCode.UNAVAILABLE:
            return EXIT_UNREACHABLE, f"Temporal is unreachable at {address}: {one_line(err.message)}"
        case RPCError() if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return (
                EXIT_UNREACHABLE,
                "Temporal or the worker did not answer in time (is a worker running? `triage up` starts one)",
            )
        case RPCError():
            return EXIT_REFUSED, f"Temporal refused ({err.status.name}): {one_line(err.message)}"
        case WorkflowUpdateRPCTimeoutOrCancelledError():
            return (
                EXIT_UNREACHABLE,
                "no worker applied the decision in time; it may still be applied (check with `triage show`)",
            )
        case WorkflowQueryFailedError() | WorkflowQueryRejectedError():
            return EXIT_REFUSED, f"the state query failed: {one_line(str(err))}"
        case TimeoutError():
            return EXIT_UNREACHABLE, f"Temporal at {address} did not answer in {CONNECT_TIMEOUT:.0f} s"
        case RuntimeError() if str(err).startswith("Failed client connect"):
            from triage.runtime.reachable import reason

            return (
                EXIT_UNREACHABLE,
                f"Temporal is unreachable at {address} ({reason(err)}): is `triage up` running?",
            )
        case _:
            return EXIT_REFUSED, f"{type(err).__name__}: {one_line(str(err))} (--debug shows the traceback)"
