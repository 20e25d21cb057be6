"""The dashboard's earned-autonomy page: modes per category and article, their record, and changing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

import starter.api.auth as auth
from starter.api.errors import ApiError
from starter.api.gateway import change_mode, fetch_autonomy, link_of
from starter.api.pages import FormText, Reviewer, flash, render, settings_of
from starter.api.routes import ModeChangeRequest
from starter.api.views import change_text, latest_changes
from triage.domain.models import AutonomyMode, Category
from triage.runtime.config import Settings

MODE_CHANGES_SHOWN = 50

router = APIRouter(include_in_schema=False)
ModeAdmin = Annotated[str, Depends(auth.dashboard_admin("changing an autonomy mode"))]


@router.get("/autonomy", response_class=HTMLResponse)
async def autonomy_page(request: Request, reviewer: Reviewer) -> Response:
    record = await fetch_autonomy(link_of(request))
    settings = settings_of(request)
    return render(
        request,
        "autonomy.html",
        {
            "rows": record.rows,
            # The policy holds these whatever their mode: the page says what is in force.
            "always_review": {c.value for c in Category if c not in settings.auto_send_categories},
            "default_promote_after": Settings.model_fields["autonomy_promote_after"].default,
            "changes": record.changes[::-1][:MODE_CHANGES_SHOWN],
            "since": latest_changes(record.changes),
            "modes": [mode.value for mode in AutonomyMode],
            "settings": record.settings,
        },
    )


@router.post("/autonomy/modes")
async def autonomy_set_mode(
    request: Request,
    admin: ModeAdmin,
    csrf_token: FormText = None,
    scope: FormText = None,
    mode: FormText = None,
    why: FormText = None,
) -> Response:
    auth.check_csrf(request, csrf_token)
    try:
        wanted = ModeChangeRequest(scope=scope or "", mode=mode or "", why=(why or "").strip())
    except ValidationError as err:
        problems = "; ".join(str(e.get("msg", "")) for e in err.errors())
        flash(request, "error", f"Mode not changed: {problems}.")
        return RedirectResponse("/autonomy", status.HTTP_303_SEE_OTHER)
    try:
        changes = await change_mode(link_of(request), wanted.scope, wanted.mode, admin, wanted.why)
    except ApiError as err:
        if err.status_code != status.HTTP_422_UNPROCESSABLE_CONTENT:
            raise
        flash(request, "error", f"Mode not changed: {err.detail}.")
        return RedirectResponse("/autonomy", status.HTTP_303_SEE_OTHER)
    if changes:
        flash(request, "ok", "; ".join(change_text(c) for c in changes) + ".")
    else:
        flash(
            request,
            "info",
            f"{wanted.scope} was already {wanted.mode.value}: nothing changed, "
            "and its shadow verdicts count again from now.",
        )
    return RedirectResponse("/autonomy", status.HTTP_303_SEE_OTHER)
