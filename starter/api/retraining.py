"""Retraining over the API, for admins: run one now, schedule it nightly, stop the schedule.

Each request records who asked and why in the retrain request itself, which
is the workflow's (or the schedule's action's) input, so Temporal keeps it.
Promoting or rolling back a model version is not here: the registry is a
folder of the workers (``TRIAGE_MODEL_DIR``), changed by ``triage model`` on
their host.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from starter.api.auth import api_admin
from starter.api.errors import ApiError, ApiErrorKind, ErrorBody
from starter.api.gateway import TemporalLink, link_of
from starter.api.routes import Why
from starter.retraining import NIGHTLY, create_schedule, delete_schedule, start_retrain
from triage.judging.gate import RetrainRequest

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/retraining",
    tags=["retraining"],
    responses={
        401: {"description": "Missing or invalid bearer token", "model": ErrorBody},
        403: {"description": "Admins only (kind Forbidden): the detail says why", "model": ErrorBody},
        503: {"description": "Temporal is unreachable", "model": ErrorBody},
    },
)

RetrainAdmin = Annotated[str, Depends(api_admin("retraining"))]
Link = Annotated[TemporalLink, Depends(link_of)]


class RetrainRun(BaseModel):
    model_config = {"extra": "forbid"}
    measure_only: bool = Field(False, description="Fit and measure the candidate, never promote it.")
    why: Why = ""


class StartedRetrain(BaseModel):
    workflow_id: str


class RetrainSchedule(BaseModel):
    model_config = {"extra": "forbid"}
    cron: str = Field(NIGHTLY, max_length=100, description="When, as a cron expression in UTC.")
    why: Why = ""


class ScheduledRetrain(BaseModel):
    schedule_id: str
    cron: str


@router.post("/runs", response_model=StartedRetrain, status_code=202)
async def run_retrain(admin: RetrainAdmin, link: Link, payload: RetrainRun | None = None) -> StartedRetrain:
    """Start a retrain now; the gate promotes the candidate only if it is no worse."""
    payload = payload or RetrainRun()
    request = RetrainRequest(promote=not payload.measure_only, requested_by=admin, why=payload.why)
    async with link.errors():
        handle = await start_retrain(await link.client(), link.settings.temporal_task_queue, request)
    log.info("retrain %s started by %s: %s", handle.id, admin, payload.why or "(no reason given)")
    return StartedRetrain(workflow_id=handle.id)


@router.put("/schedule", response_model=ScheduledRetrain)
async def schedule_retrain(admin: RetrainAdmin, link: Link, payload: RetrainSchedule) -> ScheduledRetrain:
    """Create, or replace, the nightly retrain."""
    request = RetrainRequest(requested_by=admin, why=payload.why)
    async with link.errors():
        sid = await create_schedule(
            await link.client(),
            link.settings.temporal_task_queue,
            payload.cron,
            request,
            {"by": admin, "why": payload.why},
        )
    log.info(
        "retrain schedule %s set to %r by %s: %s",
        sid,
        payload.cron,
        admin,
        payload.why or "(no reason given)",
    )
    return ScheduledRetrain(schedule_id=sid, cron=payload.cron)


@router.delete("/schedule", status_code=204)
async def unschedule_retrain(admin: RetrainAdmin, link: Link) -> Response:
    """Stop the nightly retrain."""
    async with link.errors():
        deleted = await delete_schedule(await link.client(), link.settings.temporal_task_queue)
    if not deleted:
        raise ApiError(status.HTTP_404_NOT_FOUND, "no retrain schedule", ApiErrorKind.NOT_FOUND)
    log.info("retrain schedule deleted by %s", admin)
    return Response(status_code=204)
