"""``triage api``: serve the reviewer API and dashboard with uvicorn."""

from __future__ import annotations

import asyncio
import logging

from starter.api.app import create_app
from starter.api.auth import check_reviewer_tokens
from triage.asgi_server import BOUNDED_HTTP, serving
from triage.config import Settings

log = logging.getLogger(__name__)


async def run_api(settings: Settings, host: str, port: int) -> None:
    """Serve until cancelled (``run_until_interrupted``: Ctrl-C, or SIGTERM from ``triage up``).

    Cancelled once, ``serving`` closes uvicorn in order (its lifespan ends, no traceback).
    """
    check_reviewer_tokens(settings)  # SystemExit with the reason: short or shared tokens
    if not settings.reviewer_tokens():
        log.warning("TRIAGE_REVIEWERS is empty: nobody can sign in (set name:token pairs)")
    log.info("dashboard sessions are kept in this process: they end when it restarts")

    stop = asyncio.Event()
    # The client connects lazily: the dashboard starts (and says so) while Temporal is still away.
    async with serving(create_app(settings), host, port, proxy_headers=True, **BOUNDED_HTTP) as url:
        log.info("reviewer dashboard on %s (API docs at %s/docs)", url, url)
        if settings.public_url.rstrip("/") != url:
            log.info("links in notifications point at %s (TRIAGE_PUBLIC_URL)", settings.public_url)
        await stop.wait()
