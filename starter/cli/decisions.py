"""Deciding on a review: approve, reject or redraft, through Temporal or the reviewer API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter.cli.errors import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, one_line
from starter.cli.lookup import ReviewId, review_state, reviewer_name, workflow_id_from
from starter.cli.output import console
from starter.cli.temporal import with_client
from triage.models import Category, ReviewAction

if TYPE_CHECKING:
    from temporalio.client import Client

    from triage.models import ReviewOutcome


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
            raise CliError("--reviewer does not go with --api: the API records the token's reviewer", EXIT_USAGE)
        if signal:
            raise CliError("--signal does not go with --api: the API always waits for the outcome", EXIT_USAGE)
        who, decided_on, outcome = _decide_over_api(
            api.rstrip("/"), _api_token(token_file), workflow_id, action, revision, fields
        )
    else:
        who = reviewer_name(reviewer)
        decided_on, outcome = _decide_over_temporal(workflow_id, action, who, revision, signal, fields)
    if outcome is None:
        console.print(
            f"{action.value} signalled for revision {decided_on} (no outcome on the signal path)", highlight=False
        )
        return
    console.print(
        f"{action.value} by {who} on revision {decided_on}: {outcome.status.value}"
        + (f", sent {outcome.sent_message_id}" if outcome.sent_message_id else ""),
        highlight=False,
    )


def _decide_over_temporal(
    workflow_id: str, action: ReviewAction, who: str, revision: int | None, signal: bool, fields: dict[str, Any]
) -> tuple[int, ReviewOutcome | None]:
    from temporalio.service import RPCError, RPCStatusCode

    from starter.review import ReviewRejected, review_closed, submit_decision
    from triage.contracts import ReviewErrorKind
    from triage.models import ReviewDecision

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


def _api_token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError(f"cannot read the token file {token_file}: {err}", EXIT_USAGE) from err
        if not token:
            raise CliError(f"the token file {token_file} is empty", EXIT_USAGE)
        return token
    token = os.environ.get("TRIAGE_API_TOKEN", "").strip()
    if not token:
        raise CliError("--api needs a reviewer token: set TRIAGE_API_TOKEN or pass --token-file FILE", EXIT_USAGE)
    return token


def _decide_over_api(
    api: str, token: str, workflow_id: str, action: ReviewAction, revision: int | None, fields: dict[str, Any]
) -> tuple[str, int, ReviewOutcome]:
    """The decision through the reviewer API: it, not this command, says who decides."""
    import httpx

    from triage.models import ReviewOutcome, TriageState

    review_url = f"/api/reviews/{workflow_id}"
    try:
        with httpx.Client(base_url=api, headers={"Authorization": f"Bearer {token}"}, timeout=75) as http:
            if revision is None:  # decide on what we read, as the Temporal path does
                revision = TriageState.model_validate(_api_call(http, "GET", review_url)).revision
            payload = {"revision": revision, **{k: v for k, v in fields.items() if v is not None}}
            path = f"{review_url}/{action.value}"
            outcome = ReviewOutcome.model_validate(_api_call(http, "POST", path, payload))
            try:
                decisions = TriageState.model_validate(_api_call(http, "GET", review_url)).decisions
                who = decisions[-1].decision.reviewer if decisions else "the token's reviewer"
            except CliError:
                who = "the token's reviewer"
    except httpx.TransportError as err:
        raise CliError(f"the reviewer API at {api} is unreachable ({one_line(str(err)) or type(err).__name__})", EXIT_UNREACHABLE) from err
    return who, revision, outcome


def _api_call(http: Any, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    response = http.request(method, path, json=payload)
    if response.is_success:
        return response.json() if response.content else None
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    detail, kind = body.get("detail", ""), body.get("kind")
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(str(item.get("msg", item)) for item in detail)
    status = response.status_code
    code = {422: EXIT_USAGE, 502: EXIT_REFUSED}.get(status, EXIT_UNREACHABLE if status >= 500 else EXIT_REFUSED)
    what = {401: "the API refused the token", 403: "not allowed", 404: "not found", 409: "refused"}.get(
        status, "the API answered"
    )
    raise CliError(f"{what} ({status}{' ' + kind if kind else ''}): {one_line(detail)}", code)


Reviewer = Annotated[
    str | None, typer.Option(help="Who decides (default $TRIAGE_REVIEWER or $USER); not with --api.")
]
Revision = Annotated[
    int | None, typer.Option(min=1, help="Draft revision you reviewed (default: the current one).")
]
Signal = Annotated[bool, typer.Option("--signal", help="Send as a Signal (works while workers are down; no outcome).")]
Api = Annotated[
    str | None,
    typer.Option(
        "--api",
        envvar="TRIAGE_API_URL",
        help="Decide through the reviewer API at this URL (http://localhost:8000): the reviewer recorded "
        "is the one the token belongs to.",
    ),
]
CategoryOption = Annotated[
    Category | None,
    typer.Option("--category", help="The right category, if the classifier got it wrong (training data for `triage retrain`)."),
]
TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file", exists=True, dir_okay=False, help="File holding the reviewer token for --api (default $TRIAGE_API_TOKEN)."
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
    _decide(review_id, ReviewAction.APPROVE, reviewer, revision, signal, api, token_file, body=body, category=category)


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
    _decide(review_id, ReviewAction.REJECT, reviewer, revision, signal, api, token_file, reason=reason, category=category)


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
        review_id, ReviewAction.REDRAFT, reviewer, revision, signal, api, token_file,
        instructions=instructions, category=category,
    )
