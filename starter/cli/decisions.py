"""Deciding on a review: approve, reject or redraft, through Temporal or the reviewer API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter.cli.api_client import Api, TokenFile, api_call, api_client
from starter.cli.errors import EXIT_USAGE, CliError, one_line
from starter.cli.lookup import ReviewId, review_state, reviewer_name, workflow_id_from
from starter.cli.output import console
from starter.cli.temporal import with_client
from triage.domain.models import Category, ReviewAction

if TYPE_CHECKING:
    from temporalio.client import Client

    from triage.domain.models import ReviewOutcome


def _decide(
    review_id: str,
    action: ReviewAction,
    reviewer: str | None,
    revision: int | None,
    signal: bool,
    api: str | None,
    token_file: Path | None,
    **fields: str | Category | None,
) -> None:
    workflow_id = workflow_id_from(review_id)
    outcome: ReviewOutcome | None
    if api:
        if reviewer:
            raise CliError(
                "--reviewer does not go with --api: the API records the token's reviewer", EXIT_USAGE
            )
        if signal:
            raise CliError(
                "--signal does not go with --api: the API always waits for the outcome", EXIT_USAGE
            )
        who, decided_on, outcome = _decide_over_api(api, token_file, workflow_id, action, revision, fields)
    else:
        who = reviewer_name(reviewer)
        decided_on, outcome = _decide_over_temporal(workflow_id, action, who, revision, signal, fields)
    if outcome is None:
        console.print(
            f"{action.value} signalled on revision {decided_on}; the outcome is not known yet "
            f"(`triage show {review_id}`)",
            highlight=False,
        )
        return
    console.print(decision_line(action, who, decided_on, outcome), highlight=False)


def decision_line(action: ReviewAction, who: str, revision: int, outcome: ReviewOutcome) -> str:
    """What a decision did, said once: ``sent msg_… (approved by alice, revision 1)``."""
    from triage.domain.models import TriageStatus

    match outcome.status:
        case TriageStatus.SENT:
            return f"sent {outcome.sent_message_id or 'the reply'} (approved by {who}, revision {revision})"
        case TriageStatus.REJECTED:
            return f"rejected by {who} (revision {revision}): nothing sent, the draft is discarded"
        case TriageStatus.NO_REPLY_NEEDED:
            return f"closed by {who} with no reply needed (revision {revision}): nothing sent"
        case TriageStatus.AWAITING_REVIEW if action is ReviewAction.REDRAFT:
            return f"redraft asked by {who}: revision {outcome.revision} waits for review"
    return f"{action.value} by {who} on revision {revision}: the review is now {outcome.status.value}"


def _decide_over_temporal(
    workflow_id: str,
    action: ReviewAction,
    who: str,
    revision: int | None,
    signal: bool,
    fields: dict[str, Any],
) -> tuple[int, ReviewOutcome | None]:
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import ReviewRejected, review_closed, submit_decision
    from triage.domain.contracts import ReviewErrorKind
    from triage.domain.models import ReviewDecision

    async def main(client: Client) -> tuple[int, ReviewOutcome | None]:
        current = revision if revision is not None else (await review_state(client, workflow_id)).revision
        decision = ReviewDecision(action=action, revision=current, reviewer=who, **fields)
        try:
            return current, await submit_decision(client, workflow_id, decision, wait=not signal)
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            if review_closed(err):
                raise ReviewRejected(ReviewErrorKind.REVIEW_CLOSED, "the review is already decided") from err
            raise CliError(f"no triage workflow {workflow_id} ({one_line(err.message)})") from err

    return with_client(main)


def _decide_over_api(
    api: str,
    token_file: Path | None,
    workflow_id: str,
    action: ReviewAction,
    revision: int | None,
    fields: dict[str, Any],
) -> tuple[str, int, ReviewOutcome]:
    """The decision through the reviewer API: it, not this command, says who decides."""
    from triage.domain.models import ReviewOutcome, TriageState

    review_url = f"/api/reviews/{workflow_id}"
    with api_client(api, token_file) as http:
        if revision is None:  # decide on what we read, as the Temporal path does
            revision = TriageState.model_validate(api_call(http, "GET", review_url)).revision
        payload = {"revision": revision, **{k: v for k, v in fields.items() if v is not None}}
        outcome = ReviewOutcome.model_validate(
            api_call(http, "POST", f"{review_url}/{action.value}", payload)
        )
        try:
            decisions = TriageState.model_validate(api_call(http, "GET", review_url)).decisions
            who = decisions[-1].decision.reviewer if decisions else "the token's reviewer"
        except CliError:
            who = "the token's reviewer"
    return who, revision, outcome


Reviewer = Annotated[
    str | None, typer.Option(help="Who decides (default $TRIAGE_REVIEWER or $USER); not with --api.")
]
Revision = Annotated[
    int | None, typer.Option(min=1, help="Draft revision you reviewed (default: the current one).")
]
Signal = Annotated[
    bool, typer.Option("--signal", help="Send as a Signal (works while workers are down; no outcome).")
]
CategoryOption = Annotated[
    Category | None,
    typer.Option(
        "--category",
        help="The right category, if the classifier got it wrong (training data for `triage retrain`).",
    ),
]


def approve(
    review_id: ReviewId,
    reviewer: Reviewer = None,
    revision: Revision = None,
    body_file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Send this text instead of the draft.")
    ] = None,
    category: CategoryOption = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Approve the draft (optionally edited) and send it."""
    body = None
    if body_file is not None:
        try:
            body = body_file.read_text()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError(f"cannot read {body_file}: {err}", EXIT_USAGE) from err
    _decide(
        review_id,
        ReviewAction.APPROVE,
        reviewer,
        revision,
        signal,
        api,
        token_file,
        body=body,
        category=category,
    )


def reject(
    review_id: ReviewId,
    reason: Annotated[str, typer.Option(help="Why nothing is sent.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    category: CategoryOption = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Reject: nothing is sent and the draft is discarded."""
    _decide(
        review_id,
        ReviewAction.REJECT,
        reviewer,
        revision,
        signal,
        api,
        token_file,
        reason=reason,
        category=category,
    )


def close(
    review_id: ReviewId,
    reason: Annotated[str | None, typer.Option(help="A note, recorded with the decision (optional).")] = None,
    reviewer: Reviewer = None,
    revision: Revision = None,
    category: CategoryOption = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """No reply needed: send nothing and close the review (a thank-you); not a rejected draft."""
    _decide(
        review_id,
        ReviewAction.CLOSE,
        reviewer,
        revision,
        signal,
        api,
        token_file,
        reason=reason,
        category=category,
    )


def redraft(
    review_id: ReviewId,
    instructions: Annotated[str, typer.Option(help="What the new draft should do differently.")],
    reviewer: Reviewer = None,
    revision: Revision = None,
    category: CategoryOption = None,
    signal: Signal = False,
    api: Api = None,
    token_file: TokenFile = None,
) -> None:
    """Ask for a new draft; the review stays open on the new revision."""
    _decide(
        review_id,
        ReviewAction.REDRAFT,
        reviewer,
        revision,
        signal,
        api,
        token_file,
        instructions=instructions,
        category=category,
    )
