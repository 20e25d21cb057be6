"""``triage autonomy`` and ``triage flag``: which answers go out alone, and taking that back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from starter.cli.api_client import Api, TokenFile, api_call, api_client
from starter.cli.errors import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, CliError
from starter.cli.lookup import ReviewId, reviewer_name, workflow_id_from
from starter.cli.output import JsonOption, console
from starter.cli.over_api import call_api
from starter.cli.temporal import with_client
from triage.runtime.config import get_settings

if TYPE_CHECKING:
    from temporalio.client import Client

    from triage.domain.autonomy import ModeChange, ScopeRow

autonomy_app = typer.Typer(
    help="Modes per category and article (review, shadow, auto) and the verdicts that earn them.",
    invoke_without_command=True,
)

WhyOption = Annotated[str, typer.Option("--why", help="Why (recorded with the change).")]
ReviewerOption = Annotated[
    str | None, typer.Option("--reviewer", help="Who (default: TRIAGE_REVIEWER, else USER).")
]


def _rate(row: ScopeRow) -> str:
    return f"{row.agree_rate:.0%}" if row.agree_rate is not None else "-"


def _print_changes(changes: list[ModeChange]) -> None:
    if not changes:
        console.print("no mode changed", highlight=False)
    for change in changes:
        console.print(
            f"{change.scope}: {change.old} -> {change.new} ({change.source}): {change.why}", highlight=False
        )


@autonomy_app.callback()
def autonomy(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Per category and article: mode, shadow verdicts, agree rate, last disagreement."""
    if ctx.invoked_subcommand is not None:
        return
    from starter.autonomy import autonomy_rows

    settings = get_settings()

    async def main(client: Client) -> list[ScopeRow]:
        return await autonomy_rows(
            client, settings.temporal_task_queue, settings.inbox_id, settings.autonomy_settings()
        )

    found = with_client(main)
    if as_json:
        print(json.dumps([row.model_dump(mode="json") for row in found], indent=2))
        return
    table = Table(
        title=f"autonomy for inbox {settings.inbox_id}",
        caption="verdicts in the window: agree / disagree / expired / sent alone",
    )
    table.add_column("scope", no_wrap=True)
    table.add_column("mode", no_wrap=True)
    table.add_column("since")
    table.add_column("shadow", no_wrap=True)
    table.add_column("verdicts", no_wrap=True)
    table.add_column("agree", no_wrap=True)
    table.add_column("last disagreement", overflow="fold")
    for row in found:
        last = row.last_disagreement
        table.add_row(
            row.scope,
            row.mode.value,
            row.source.value,
            f"{row.shadow_verdicts}/{row.needed}",
            f"{row.window.agree}/{row.window.disagree}/{row.window.expired}/{row.window.auto_sent}",
            _rate(row),
            f"{last.verdict.value}: {last.workflow_id}" if last else "-",
        )
    console.print(table)


@autonomy_app.command("set")
def set_mode(
    scope: Annotated[str, typer.Argument(help="category:NAME or article:ID")],
    mode: Annotated[str, typer.Argument(help="review, shadow or auto")],
    why: WhyOption = "",
    reviewer: ReviewerOption = None,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Set a category's or an article's mode (recorded: who, when, why); over --api, an admin's right."""
    from pydantic import ValidationError

    from starter.autonomy import ScopeRefused
    from starter.autonomy import set_mode as request_mode
    from triage.domain.autonomy import ModeChange, ModeRequest

    if api:
        if reviewer:
            raise CliError("--reviewer does not go with --api: the API records the token's owner", EXIT_USAGE)
        answer = call_api(
            api, token_file, "POST", "/api/autonomy/modes", {"scope": scope, "mode": mode, "why": why}
        )
        _print_changes([ModeChange.model_validate(change) for change in answer])
        return
    settings = get_settings()
    try:
        request = ModeRequest(
            scope=scope, mode=mode, by=reviewer_name(reviewer), why=why, settings=settings.autonomy_settings()
        )
    except ValidationError as err:
        raise CliError(
            f"{scope} {mode}: give category:NAME or article:ID and review, shadow or auto ({err.error_count()} problem(s))",
            EXIT_USAGE,
        ) from None

    async def main(client: Client) -> list[ModeChange]:
        try:
            return await request_mode(
                client, settings.temporal_task_queue, settings.inbox_id, request, settings.kb_dir
            )
        except ScopeRefused as err:
            raise CliError(str(err), EXIT_REFUSED) from None

    _print_changes(with_client(main))


def flag(
    review_id: ReviewId,
    why: WhyOption = "",
    reviewer: ReviewerOption = None,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Flag an automatic reply as "should not have been sent": its article goes back to shadow."""
    from starter.autonomy import NotFlaggable, NoWorker, flag_sent_reply

    settings = get_settings()
    workflow_id = workflow_id_from(review_id)
    if api:
        from triage.domain.autonomy import ModeChange

        if reviewer:
            raise CliError(
                "--reviewer does not go with --api: the API records the token's reviewer", EXIT_USAGE
            )
        with api_client(api, token_file) as http:
            changed = api_call(http, "POST", f"/api/reviews/{workflow_id}/flag", {"why": why})
        _print_changes([ModeChange.model_validate(change) for change in changed])
        return

    async def main(client: Client) -> list[ModeChange]:
        try:
            return await flag_sent_reply(
                client,
                settings.temporal_task_queue,
                workflow_id,
                reviewer_name(reviewer),
                why,
                settings.autonomy_settings(),
            )
        except NotFlaggable as err:
            raise CliError(str(err)) from err
        except NoWorker as err:
            raise CliError(str(err), EXIT_UNREACHABLE) from err

    _print_changes(with_client(main))
