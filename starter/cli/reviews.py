"""Reading reviews: the pending list, the figures, one review whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from starter.cli.api_client import Api, TokenFile, api_call, api_client
from starter.cli.errors import CliError
from starter.cli.lookup import ReviewId, review_state, workflow_id_from
from starter.cli.output import JsonOption, console, err_console
from starter.cli.review_table import natural_width, review_rows, reviews_table
from starter.cli.temporal import with_client
from triage.domain.models import Category, TriageStatus
from triage.domain.outcome import reasons_line

if TYPE_CHECKING:
    from temporalio.client import Client

    from starter.review import ReviewSummary
    from triage.domain.models import TriageState


def reviews(
    status: Annotated[TriageStatus | None, typer.Option(help="Default: awaiting_review.")] = None,
    category: Category | None = None,
    all_statuses: Annotated[bool, typer.Option("--all", help="Any status.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    wide: Annotated[bool, typer.Option("--wide", help="Every column, nothing shortened.")] = False,
    as_json: JsonOption = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """List reviews (pending by default): id, subject, sender and why each waits."""
    wanted = None if all_statuses else (status or TriageStatus.AWAITING_REVIEW)
    if api:
        page, states = _reviews_over_api(api, token_file, wanted, category, limit)
    else:
        page, states = _reviews_over_temporal(wanted, category, limit)
    if as_json:
        print(json.dumps([review_json(r, states.get(r.workflow_id)) for r in page]))
        return
    if not page:
        console.print(f"no reviews ({wanted.value if wanted else 'any status'})", highlight=False)
        return
    rows = review_rows(page, states, datetime.now(UTC))
    with_status = wanted is not TriageStatus.AWAITING_REVIEW
    width = max(console.width, natural_width(rows, with_status=with_status)) if wide else console.width
    table = reviews_table(rows, width, with_status=with_status)
    (Console(width=width) if wide else console).print(table)
    missing = sum(1 for r in page if states.get(r.workflow_id) is None)
    if missing:
        err_console.print(
            f"note: {missing} of {len(page)} did not answer the state query (no subject, sender or reason): "
            "is a worker running?",
            highlight=False,
        )


def review_json(summary: ReviewSummary, state: TriageState | None) -> dict[str, Any]:
    """One review in ``triage reviews --json``: what visibility knows, and what the row shows whole."""
    decision = state.policy_decision if state else None
    return {
        **summary.model_dump(mode="json"),
        "subject": state.message.subject if state else None,
        "from_address": state.message.from_address if state else None,
        "main_reason": decision.main_reason if decision else None,
        "reasons": decision.reasons if decision else [],
        "review_started_at": state.review_started_at.isoformat()
        if state and state.review_started_at
        else None,
    }


def _reviews_over_temporal(
    wanted: TriageStatus | None, category: Category | None, limit: int
) -> tuple[list[ReviewSummary], dict[str, TriageState | None]]:
    from starter.review import get_states, list_reviews

    async def main(client: Client) -> tuple[list[ReviewSummary], dict[str, TriageState | None]]:
        page, _ = await list_reviews(client, status=wanted, category=category, limit=limit)
        return page, await get_states(client, [r.workflow_id for r in page])

    return with_client(main)


def _reviews_over_api(
    api: str, token_file: Path | None, wanted: TriageStatus | None, category: Category | None, limit: int
) -> tuple[list[ReviewSummary], dict[str, TriageState | None]]:
    from starter.review import ReviewSummary
    from triage.domain.models import TriageState

    with api_client(api, token_file) as http:
        listed = api_call(
            http,
            "GET",
            "/api/reviews",
            status=wanted.value if wanted else "any",
            category=category.value if category else None,
            limit=min(limit, 200),
        )
        page = [ReviewSummary.model_validate(item) for item in listed["items"]]
        states: dict[str, TriageState | None] = {}
        for r in page:
            try:
                states[r.workflow_id] = TriageState.model_validate(
                    api_call(http, "GET", f"/api/reviews/{r.workflow_id}")
                )
            except CliError:
                states[r.workflow_id] = None  # shown from what visibility knows
    return page, states


def stats(
    hours: Annotated[float, typer.Option(help="Window: the last N hours.")] = 24.0,
    as_json: JsonOption = False,
) -> None:
    """Messages triaged, auto-send rate, reviews pending/rejected/expired, from visibility."""
    from starter.stats import Stats, collect_stats

    async def main(client: Client) -> Stats:
        return await collect_stats(client, hours)

    figures = with_client(main)
    if as_json:
        print(figures.model_dump_json())
        return
    table = Table("figure", "value", title=f"last {hours:g} h")
    table.add_row("messages", str(figures.messages))
    table.add_row("auto-send rate", f"{figures.auto_send_rate:.1%}")
    table.add_row("pending reviews", str(figures.pending_reviews))
    table.add_row("rejected", str(figures.rejected))
    table.add_row("expired", str(figures.expired))
    if figures.median_seconds_to_close_sent is not None:
        table.add_row("median start-to-send after review", f"{figures.median_seconds_to_close_sent:.0f} s")
    for status, n in sorted(figures.by_status.items()):
        table.add_row(f"status {status}", str(n))
    for category, n in sorted(figures.by_category.items()):
        table.add_row(f"category {category}", str(n))
    console.print(table)


def show(
    review_id: ReviewId, as_json: JsonOption = False, api: Api = None, token_file: TokenFile = None
) -> None:
    """The whole state of one triage: message, classification, draft, decisions."""
    workflow_id = workflow_id_from(review_id)

    async def main(client: Client) -> TriageState:
        return await review_state(client, workflow_id)

    if api:
        from triage.domain.models import TriageState

        with api_client(api, token_file) as http:
            state = TriageState.model_validate(api_call(http, "GET", f"/api/reviews/{workflow_id}"))
    else:
        state = with_client(main)
    if as_json:
        print(state.model_dump_json())
        return
    c = state.classification
    console.print(
        f"[bold]{state.workflow_id}[/] — {state.status.value}, revision {state.revision}", soft_wrap=True
    )
    console.print(f"From: {state.message.from_address}\nSubject: {state.message.subject}", markup=False)
    if c:
        console.print(f"Category: {c.category.value} ({c.confidence:.2f}) {c.reason}", markup=False)
        if c.guard_flags:
            console.print("Guard flags: " + ", ".join(f.value for f in c.guard_flags))
    answer = state.policy_decision.answer if state.policy_decision else None
    if answer:
        console.print(
            f'Closest KB question: "{answer.question}" ({answer.article_id}, match {answer.score:.2f})',
            markup=False,
        )
    if state.policy_decision and state.policy_decision.reasons:
        console.print("Review because: " + reasons_line(state.policy_decision.reasons), markup=False)
    if state.superseded_by:
        console.print(f"Closed by a newer message of the conversation: {state.superseded_by}", markup=False)
    if state.message.thread_id:
        console.print(f"Thread: {state.message.thread_id}", markup=False)
    if state.other_participants:
        console.print(
            "New participant in this thread: "
            + ", ".join(state.other_participants)
            + " (their messages are separate reviews)",
            markup=False,
        )
    for entry in state.thread:
        console.rule("our reply" if entry.from_us else f"earlier, from {entry.sender}")
        console.print(entry.text[:2000], markup=False)
    console.rule("message")
    console.print(state.message.plain_body[:4000], markup=False)
    console.rule(f"draft (revision {state.revision})")
    console.print(state.draft_body or "", markup=False)
    for d in state.decisions:
        console.print(
            f"- {d.decided_at:%Y-%m-%d %H:%M} {d.decision.reviewer}: {d.decision.action.value}", markup=False
        )
