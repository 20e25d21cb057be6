"""``triage api``: serve the reviewer API and dashboard with uvicorn."""

from __future__ import annotations

import asyncio
import logging

from starter.api.app import create_app
from starter.api.auth import check_reviewer_tokens
from starter.api.signon import check_sign_on, sign_on_enabled
from triage.runtime.asgi_server import BOUNDED_HTTP, serving
from triage.runtime.config import Settings

log = logging.getLogger(__name__)


async def run_api(settings: Settings, host: str, port: int) -> None:
    """Serve until cancelled (``run_until_interrupted``: Ctrl-C, or SIGTERM from ``triage up``).

    Cancelled once, ``serving`` closes uvicorn in order (its lifespan ends, no traceback).
    """
    check_reviewer_tokens(settings)  # SystemExit with the reason: short or shared tokens
    check_sign_on(settings)  # and with sign-on half configured or open to anyone
    if not settings.reviewer_tokens() and not sign_on_enabled(settings):
        log.warning("TRIAGE_REVIEWERS is empty and sign-on is off: nobody can sign in (set name:token pairs)")
    if not settings.session_secret:
        log.warning(
            "TRIAGE_SESSION_SECRET is unset: cookies are signed with a key of this process, so sessions end when it restarts and other replicas refuse them"
        )

    stop = asyncio.Event()
    # The client connects lazily: the dashboard starts (and says so) while Temporal is still away.
    async with serving(create_app(settings), host, port, proxy_headers=True, **BOUNDED_HTTP) as url:
        log.info("reviewer dashboard on %s (API docs at %s/docs)", url, url)
        if settings.public_url.rstrip("/") != url:
            log.info("links in notifications point at %s (TRIAGE_PUBLIC_URL)", settings.public_url)
        await stop.wait()
