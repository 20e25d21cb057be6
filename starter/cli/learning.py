"""Learning from reviewers: ``triage corrections``, ``retrain``, ``schedule`` and ``model``."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from starter.cli.api_client import Api, TokenFile
from starter.cli.errors import EXIT_REFUSED, EXIT_USAGE, CliError
from starter.cli.output import JsonOption, console
from starter.cli.over_api import call_api
from starter.cli.temporal import with_client
from triage.runtime.config import get_settings

if TYPE_CHECKING:
    from temporalio.client import Client, ScheduleDescription

    from triage.judging.gate import RetrainReport
    from triage.judging.registry import ModelRegistry

corrections_app = typer.Typer(
    help="Reviewers' category corrections, read from Temporal.", no_args_is_help=True
)
schedule_app = typer.Typer(help="The nightly retrain, a Temporal Schedule.", no_args_is_help=True)
model_app = typer.Typer(help="Versions of the offline classifier.", no_args_is_help=True)

LabelledOption = Annotated[
    Path | None,
    typer.Option(
        "--labelled", help="An eval-format JSONL file the worker can read (default: the packaged check set)."
    ),
]


@corrections_app.command("export")
def corrections_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSONL here (default: stdout).")
    ] = None,
    since: Annotated[datetime | None, typer.Option(help="Only workflows closed after this time.")] = None,
) -> None:
    """Every corrected category, with the message and the text that was sent (JSON lines)."""
    from triage.domain.corrections import iter_corrections

    settings = get_settings()

    async def main(client: Client) -> list[str]:
        return [
            c.model_dump_json() async for c in iter_corrections(client, settings.temporal_task_queue, since)
        ]

    lines = with_client(main)
    text = "".join(line + "\n" for line in lines)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    print(f"{len(lines)} correction(s)" + (f" written to {output}" if output else ""), file=sys.stderr)


def _resolved(labelled: Path | None) -> str | None:
    return str(labelled.resolve()) if labelled is not None else None


def _print_report(report: RetrainReport) -> None:
    if report.measured is not None:
        table = Table(
            title=f"{report.candidate.version if report.candidate else 'candidate'} against {report.candidate.parent if report.candidate else ''}"
        )
        for column in ("set", "n", "macro-F1 now", "macro-F1 candidate", "unsafe now", "unsafe candidate"):
            table.add_column(column)
        for name, now in report.measured.current.items():
            new = report.measured.candidate[name]
            table.add_row(
                name,
                str(now.n),
                f"{now.macro_f1:.3f}",
                f"{new.macro_f1:.3f}",
                f"{now.unsafe_auto_send_rate:.1%}",
                f"{new.unsafe_auto_send_rate:.1%}",
            )
        console.print(table)
    console.print(
        f"{report.corrections} correction(s); {report.note}; in force: {report.in_force}", highlight=False
    )


def retrain(
    labelled: LabelledOption = None,
    measure_only: Annotated[
        bool, typer.Option("--measure-only", help="Fit and measure, never promote.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for the gate's verdict.")] = True,
    as_json: JsonOption = False,
    api: Api = None,
    token_file: TokenFile = None,
    why: Annotated[str, typer.Option("--why", help="Why (recorded with the request; with --api).")] = "",
) -> None:
    """Fit a candidate on the corrections; promote it only if the gate finds it no worse."""
    from starter.retraining import start_retrain
    from triage.judging.gate import RetrainRequest

    if api:  # an admin's right: the API starts it (it does not wait) and records who and why
        if labelled is not None:
            raise CliError(
                "--labelled does not go with --api: the API retrains on the packaged check set", EXIT_USAGE
            )
        started = call_api(
            api, token_file, "POST", "/api/retraining/runs", {"measure_only": measure_only, "why": why}
        )
        console.print(f"retrain started: {started['workflow_id']}", highlight=False)
        return
    settings = get_settings()
    request = RetrainRequest(
        labelled=_resolved(labelled), promote=not measure_only, judge_task_queue=settings.judge_task_queue
    )

    async def main(client: Client) -> tuple[str, RetrainReport | None]:
        handle = await start_retrain(client, settings.temporal_task_queue, request)
        return handle.id, (await handle.result() if wait else None)

    workflow_id, report = with_client(main)
    if report is None:
        console.print(f"retrain started: {workflow_id}", highlight=False)
        return
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        _print_report(report)
    if report.gate is not None and not report.gate.promote:
        raise typer.Exit(EXIT_REFUSED)


@schedule_app.command("create")
def schedule_create(
    cron: Annotated[str, typer.Option(help="When, as a cron expression in UTC.")] = "0 3 * * *",
    labelled: LabelledOption = None,
    api: Api = None,
    token_file: TokenFile = None,
    why: Annotated[str, typer.Option("--why", help="Why (recorded with the request; with --api).")] = "",
) -> None:
    """Create (or replace) the nightly retrain."""
    from starter.retraining import create_schedule
    from triage.judging.gate import RetrainRequest

    if api:
        if labelled is not None:
            raise CliError(
                "--labelled does not go with --api: the API retrains on the packaged check set", EXIT_USAGE
            )
        scheduled = call_api(api, token_file, "PUT", "/api/retraining/schedule", {"cron": cron, "why": why})
        console.print(f"schedule {scheduled['schedule_id']}: retrain at '{cron}' (UTC)", highlight=False)
        return
    settings = get_settings()

    async def main(client: Client) -> str:
        return await create_schedule(
            client,
            settings.temporal_task_queue,
            cron,
            RetrainRequest(labelled=_resolved(labelled), judge_task_queue=settings.judge_task_queue),
        )

    console.print(f"schedule {with_client(main)}: retrain at '{cron}' (UTC)", highlight=False)


@schedule_app.command("show")
def schedule_show() -> None:
    """The schedule, its next runs and its recent ones."""
    from starter.retraining import describe_schedule

    settings = get_settings()

    async def main(client: Client) -> tuple[ScheduleDescription | None, Any]:
        found = await describe_schedule(client, settings.temporal_task_queue)
        return (found, await found.memo_value("cron", "?")) if found is not None else (None, None)

    found, cron = with_client(main)
    if found is None:
        raise CliError("no retrain schedule (create one with `triage schedule create`)")
    console.print(f"schedule {found.id}: retrain at '{cron}' (UTC)", highlight=False)
    for at in found.info.next_action_times[:3]:
        console.print(f"  next: {at:%Y-%m-%d %H:%M} UTC", highlight=False)
    for action in found.info.recent_actions[-3:]:
        console.print(f"  ran: {action.started_at:%Y-%m-%d %H:%M} UTC", highlight=False)


@schedule_app.command("delete")
def schedule_delete(api: Api = None, token_file: TokenFile = None) -> None:
    """Stop the nightly retrain."""
    from starter.retraining import delete_schedule

    if api:
        call_api(api, token_file, "DELETE", "/api/retraining/schedule")
        console.print("schedule deleted", highlight=False)
        return
    settings = get_settings()

    async def main(client: Client) -> bool:
        return await delete_schedule(client, settings.temporal_task_queue)

    if not with_client(main):
        raise CliError("no retrain schedule to delete")
    console.print("schedule deleted", highlight=False)


def _registry() -> ModelRegistry:
    from triage.judging.registry import ModelRegistry

    return ModelRegistry(get_settings().model_dir)


@model_app.command("list")
def model_list(as_json: JsonOption = False) -> None:
    """Every version, the one in force marked."""
    state = _registry().state()
    if as_json:
        print(json.dumps(state.model_dump(mode="json"), indent=2))
        return
    table = Table()
    for column in (
        "",
        "version",
        "created",
        "parent",
        "corrections",
        "held back F1",
        "labelled F1",
        "labelled unsafe",
    ):
        table.add_column(column)
    table.add_row("*" if state.current == "builtin" else "", "builtin", "packaged", "-", "-", "-", "-", "-")
    for v in state.versions:
        held, labelled = v.figures.get("held_back"), v.figures.get("labelled")
        table.add_row(
            "*" if v.version == state.current else "",
            v.version,
            f"{v.created_at:%Y-%m-%d %H:%M}",
            v.parent or "-",
            str(v.corrections),
            f"{held.macro_f1:.3f}" if held else "-",
            f"{labelled.macro_f1:.3f}" if labelled else "-",
            f"{labelled.unsafe_auto_send_rate:.1%}" if labelled else "-",
        )
    console.print(table)


@model_app.command("promote")
def model_promote(
    version: Annotated[str, typer.Argument(help="A version from `triage model list`.")],
    why: Annotated[str, typer.Option("--why")] = "promoted by hand",
) -> None:
    """Put a version in force (workers pick it up with their next message)."""
    from triage.judging.registry import RegistryError

    try:
        promotion = _registry().promote(version, why)
    except RegistryError as err:
        raise CliError(str(err)) from err
    console.print(f"in force: {promotion.new} (was {promotion.old})", highlight=False)


@model_app.command("rollback")
def model_rollback(why: Annotated[str, typer.Option("--why")] = "rolled back by hand") -> None:
    """Back to the version in force before the last promotion."""
    from triage.judging.registry import RegistryError

    try:
        promotion = _registry().rollback(why)
    except RegistryError as err:
        raise CliError(str(err)) from err
    console.print(f"in force: {promotion.new} (was {promotion.old})", highlight=False)
