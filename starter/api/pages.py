"""Rendering dashboard pages: the Jinja templates, flashes and error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.middleware.sessions import Session

import starter.api.auth as auth
from starter.api.views import ago, countdown, iso, label, percent, safe_link, timestamp
from triage.domain.models import Category
from triage.runtime.config import Settings

# What the dashboard's routes take: the signed-in reviewer (else a redirect to the login
# page) and a form field that may be missing.
Reviewer = Annotated[str, Depends(auth.dashboard_reviewer)]
FormText = Annotated[str | None, Form()]

TEMPLATE_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
)
templates.env.filters.update(
    ago=ago, countdown=countdown, timestamp=timestamp, iso=iso, percent=percent, label=label
)
templates.env.globals.update(safe_link=safe_link, categories=[c.value for c in Category])


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    *,
    touch_session: bool = True,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = dict(context or {})
    identity = auth.session_identity(request)
    context.setdefault("reviewer", identity.name if identity else None)
    # Templates show only what the role may do.
    context.setdefault("is_admin", identity is not None and identity.is_admin)
    context.setdefault("sign_on", getattr(request.app.state, "sign_on", None) is not None)
    context["csrf_token"] = auth.csrf_token(request, create=touch_session)
    context["flashes"] = request.session.pop("flash", []) if touch_session else []
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error page that never writes the session.

    A cross-site POST arrives without the (SameSite=Lax) cookie; a page that
    created a session then would answer with a new cookie and so replace, that
    is end, the reviewer's real session. Nothing written: no Set-Cookie.
    """
    return render(
        request,
        "error.html",
        {"status_code": status_code, "message": message},
        status_code,
        touch_session=False,
    )


def flash(request: Request, level: str, text: str) -> None:
    request.session.setdefault("flash", []).append({"level": level, "text": text})
    cast(Session, request.session).modified = True  # the list was changed in place


def settings_of(request: Request) -> Settings:
    return request.app.state.settings
