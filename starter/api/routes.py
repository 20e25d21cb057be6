"""The reviewer JSON API's HTTP routes: request and response bodies, status codes.

Reviews and their decisions (a decision may correct the category), the
earned-autonomy record (modes per category and article, set by an admin, and
"this should not have been sent" on an automatic reply) and dashboard
sessions. Everything Temporal goes through ``starter.api.gateway``; page
cursors are signed by ``starter.api.cursors``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from starter.api.auth import api_admin, api_reviewer, sessions_of
from starter.api.cursors import cursors_of
from starter.api.errors import ApiError, ApiErrorKind, ErrorBody
from starter.api.gateway import (
    TemporalLink,
    change_mode,
    decide,
    fetch_autonomy,
    fetch_state,
    flag_reply,
    link_of,
    list_page,
)
from starter.review import ReviewSummary
from triage.domain.autonomy import CATEGORY, ModeChange, ModeRequest, ScopeRow
from triage.domain.models import (
    AutonomyMode,
    Category,
    ReviewAction,
    ReviewOutcome,
    TriageState,
    TriageStatus,
)

# ---- request and response bodies --------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


DraftText = Annotated[str, Field(min_length=1, max_length=100_000), AfterValidator(_not_blank)]
Note = Annotated[str, Field(min_length=1, max_length=5_000), AfterValidator(_not_blank)]
Revision = Annotated[
    int | None,
    Field(ge=1, description="The draft revision you decide on; default: the current one."),
]
CategoryCorrection = Annotated[
    Category | None,
    Field(description="The right category, when the classifier got it wrong (kept as training data)."),
]


def _known_scope(scope: str) -> str:
    kind, _, name = scope.partition(":")
    if kind == CATEGORY and name not in {c.value for c in Category}:
        raise ValueError(f"no category {name!r}; one of: {', '.join(Category)}")
    return scope


# The autonomy record's own rule for a scope's shape, and a category must exist.
Scope = Annotated[
    str,
    ModeRequest.model_fields["scope"],
    Field(description="`category:NAME` or `article:ID`", examples=["article:password-reset"]),
    AfterValidator(_known_scope),
]
Why = Annotated[str, Field(max_length=2_000, description="Recorded with the change.")]


class _Request(BaseModel):
    # Unknown fields are refused: a "reviewer" in the body must not look accepted.
    model_config = ConfigDict(extra="forbid")


class EditRequest(_Request):
    body: DraftText
    revision: Revision = None
    category: CategoryCorrection = None


class ApproveRequest(_Request):
    body: DraftText | None = Field(None, description="Send this text instead of the draft.")
    revision: Revision = None
    category: CategoryCorrection = None


class RejectRequest(_Request):
    reason: Note
    revision: Revision = None
    category: CategoryCorrection = None


class CloseRequest(_Request):
    reason: Note | None = Field(None, description="Optional note, recorded with the decision.")
    revision: Revision = None
    category: CategoryCorrection = None


class RedraftRequest(_Request):
    instructions: Note
    revision: Revision = None
    category: CategoryCorrection = None


class ModeChangeRequest(_Request):
    scope: Scope
    mode: AutonomyMode
    why: Why = ""


class FlagRequest(_Request):
    why: Why = ""


class ReviewPage(BaseModel):
    items: list[ReviewSummary]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page.")


class StatusFilter(StrEnum):
    AWAITING_REVIEW = "awaiting_review"
    SENT = "sent"
    AUTO_SENT = "auto_sent"
    REJECTED = "rejected"
    EXPIRED = "expired"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    NO_REPLY_NEEDED = "no_reply_needed"
    ANY = "any"

    def as_status(self) -> TriageStatus | None:
        return None if self is StatusFilter.ANY else TriageStatus(self.value)


class SessionInfo(BaseModel):
    id: str = Field(description="Pass to DELETE /api/sessions/{id} to end it.")
    created_at: datetime
    client: str
    user_agent: str


class Revoked(BaseModel):
    revoked: int


class Health(BaseModel):
    status: str = "ok"
    temporal: bool


# ---- routes -------------------------------------------------------------------------

_errors: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid bearer token", "model": ErrorBody},
    404: {"description": "No such review (workflow id)", "model": ErrorBody},
    503: {"description": "Temporal is unreachable", "model": ErrorBody},
}
_decision_errors: dict[int | str, dict[str, Any]] = {
    **_errors,
    409: {"description": "The review is closed, busy, or the revision is stale: reload", "model": ErrorBody},
    502: {"description": "The workflow could not carry the decision out", "model": ErrorBody},
}

_admin_errors: dict[int | str, dict[str, Any]] = {
    403: {"description": "Admins only (kind Forbidden): the detail says why", "model": ErrorBody},
}

_flag_errors: dict[int | str, dict[str, Any]] = {
    **_errors,
    409: {
        "description": "Not flaggable (kind NotFlaggable): open, or not sent automatically",
        "model": ErrorBody,
    },
    503: {
        "description": "Temporal is unreachable, or no worker polls the queue (kind NoWorker): nothing was flagged",
        "model": ErrorBody,
    },
}

router = APIRouter(prefix="/api", tags=["reviews"], responses=_errors)
autonomy_router = APIRouter(
    prefix="/api/autonomy",
    tags=["autonomy"],
    responses={code: _errors[code] for code in (401, 503)},
)
health_router = APIRouter(tags=["health"])

Reviewer = Annotated[str, Depends(api_reviewer)]
ModeAdmin = Annotated[str, Depends(api_admin("changing an autonomy mode"))]
Link = Annotated[TemporalLink, Depends(link_of)]
WorkflowId = Annotated[str, Path(min_length=1, max_length=1000, description="The workflow id")]


@health_router.get("/healthz", response_model=Health)
async def healthz(link: Link) -> Health:
    return Health(temporal=await link.healthy())


@router.get("/reviews", response_model=ReviewPage)
async def get_reviews(
    request: Request,
    _: Reviewer,
    link: Link,
    status_filter: Annotated[StatusFilter, Query(alias="status")] = StatusFilter.AWAITING_REVIEW,
    category: Category | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ReviewPage:
    """Pending reviews (default) or decided ones, from Temporal visibility."""
    cursors = cursors_of(request)
    items, token = await list_page(
        link,
        status_filter=status_filter.as_status(),
        category=category,
        limit=limit,
        page_token=cursors.decode(cursor),
    )
    return ReviewPage(items=items, next_cursor=cursors.encode(token))


@router.get("/reviews/{workflow_id}", response_model=TriageState)
async def get_review(_: Reviewer, link: Link, workflow_id: WorkflowId) -> TriageState:
    """The workflow's ``state`` query: message, classification, draft, decisions."""
    return await fetch_state(link, workflow_id)


@router.patch("/reviews/{workflow_id}/draft", response_model=ReviewOutcome, responses=_decision_errors)
async def edit_draft(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: EditRequest
) -> ReviewOutcome:
    """Replace the draft's text; the review stays open at the next revision."""
    return await decide(link, workflow_id, ReviewAction.EDIT, reviewer, **payload.model_dump())


@router.post("/reviews/{workflow_id}/approve", response_model=ReviewOutcome, responses=_decision_errors)
async def approve(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: ApproveRequest | None = None
) -> ReviewOutcome:
    """Send the draft (or ``body`` instead of it)."""
    payload = payload or ApproveRequest()
    return await decide(link, workflow_id, ReviewAction.APPROVE, reviewer, **payload.model_dump())


@router.post("/reviews/{workflow_id}/reject", response_model=ReviewOutcome, responses=_decision_errors)
async def reject(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: RejectRequest
) -> ReviewOutcome:
    """Send nothing and discard the draft."""
    return await decide(link, workflow_id, ReviewAction.REJECT, reviewer, **payload.model_dump())


@router.post("/reviews/{workflow_id}/close", response_model=ReviewOutcome, responses=_decision_errors)
async def close(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: CloseRequest | None = None
) -> ReviewOutcome:
    """No reply needed: send nothing and close the review (a thank-you, say); not a rejected draft."""
    payload = payload or CloseRequest()
    return await decide(link, workflow_id, ReviewAction.CLOSE, reviewer, **payload.model_dump())


@router.post("/reviews/{workflow_id}/redraft", response_model=ReviewOutcome, responses=_decision_errors)
async def redraft(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: RedraftRequest
) -> ReviewOutcome:
    """Draft again following ``instructions``; the review stays open."""
    return await decide(link, workflow_id, ReviewAction.REDRAFT, reviewer, **payload.model_dump())


@router.post("/reviews/{workflow_id}/flag", response_model=list[ModeChange], responses=_flag_errors)
async def flag(
    reviewer: Reviewer, link: Link, workflow_id: WorkflowId, payload: FlagRequest | None = None
) -> list[ModeChange]:
    """ "This should not have been sent": a reply sent automatically was wrong.

    Its article (and a promoted category) drops back to shadow at once; the
    answer lists the changes made (none if it was flagged before).
    """
    return await flag_reply(link, workflow_id, reviewer, (payload or FlagRequest()).why)


# ---- earned autonomy ----------------------------------------------------------------


@autonomy_router.get("", response_model=list[ScopeRow])
async def get_autonomy(_: Reviewer, link: Link) -> list[ScopeRow]:
    """Per category and per article: the mode in force and why, the shadow verdicts
    toward promotion, the verdicts over the rolling window, the agree rate, the last disagreement."""
    return (await fetch_autonomy(link)).rows


@autonomy_router.get("/changes", response_model=list[ModeChange])
async def get_mode_changes(_: Reviewer, link: Link) -> list[ModeChange]:
    """Every recorded change of mode (set, promoted, demoted), newest first: who, when, why."""
    return (await fetch_autonomy(link)).changes[::-1]


@autonomy_router.post("/modes", response_model=list[ModeChange], responses=_admin_errors)
async def post_mode(admin: ModeAdmin, link: Link, payload: ModeChangeRequest) -> list[ModeChange]:
    """Set a category's or an article's mode (review, shadow or auto) as the token's admin.

    The answer is the change made: empty when the scope already was in that
    mode (its shadow verdicts then count again from now).
    """
    return await change_mode(link, payload.scope, payload.mode, admin, payload.why)


# ---- dashboard sessions -----------------------------------------------------------


@router.get("/sessions", response_model=list[SessionInfo], tags=["sessions"])
async def list_sessions(request: Request, reviewer: Reviewer) -> list[SessionInfo]:
    """Your open dashboard sessions (the token's reviewer), newest first."""
    async with link_of(request).errors():
        sessions = sorted(await sessions_of(request).of(reviewer), key=lambda s: s.created_at, reverse=True)
    return [
        SessionInfo(
            id=s.id,
            created_at=datetime.fromtimestamp(s.created_at, UTC),
            client=s.client,
            user_agent=s.user_agent,
        )
        for s in sessions
    ]


@router.delete("/sessions/{session_id}", status_code=204, tags=["sessions"])
async def revoke_session(
    request: Request, reviewer: Reviewer, session_id: Annotated[str, Path(max_length=100)]
) -> Response:
    """End one of your sessions at once (a copied cookie stops working too)."""
    async with link_of(request).errors():
        revoked = await sessions_of(request).revoke_id(reviewer, session_id)
    if not revoked:
        raise ApiError(status.HTTP_404_NOT_FOUND, "no such session of yours", ApiErrorKind.NOT_FOUND)
    return Response(status_code=204)


@router.delete("/sessions", response_model=Revoked, tags=["sessions"])
async def revoke_sessions(request: Request, reviewer: Reviewer) -> Revoked:
    """End all your dashboard sessions."""
    async with link_of(request).errors():
        return Revoked(revoked=await sessions_of(request).revoke_all(reviewer))
