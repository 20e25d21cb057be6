"""One review, named on the command line: its workflow id and its state; and who decides."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from starter.cli.errors import EXIT_UNREACHABLE, EXIT_USAGE, CliError, one_line
from starter.cli.temporal import QUERY_TIMEOUT

if TYPE_CHECKING:
    from temporalio.client import Client

    from triage.domain.models import TriageState

ReviewId = Annotated[
    str, typer.Argument(metavar="ID", help="Workflow id (triage-msg_…) or message id (msg_…).")
]


def reviewer_name(given: str | None) -> str:
    """Who the CLI records as deciding: ``--reviewer``, else $TRIAGE_REVIEWER, else $USER."""
    return given or os.environ.get("TRIAGE_REVIEWER") or os.environ.get("USER") or "cli"


def workflow_id_from(ident: str) -> str:
    from starter.review import workflow_id_of

    if not ident.strip():
        raise CliError("the review id is empty", EXIT_USAGE)
    return workflow_id_of(ident)


async def review_state(client: Client, workflow_id: str) -> TriageState:
    """The ``state`` query, with "not found" naming the id and a bound on the wait for a worker."""
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import get_state

    try:
        return await get_state(client, workflow_id, rpc_timeout=QUERY_TIMEOUT)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(f"no triage workflow {workflow_id} ({one_line(err.message)})") from err
        if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):  # CANCELLED: rpc_timeout
            raise CliError(
                f"no worker answered for {workflow_id} in {QUERY_TIMEOUT.seconds} s "
                "(is a worker running? `triage up` starts one)",
                EXIT_UNREACHABLE,
            ) from err
        raise
