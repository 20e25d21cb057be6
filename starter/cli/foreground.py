"""Running one of the stack's long-lived parts in the foreground, until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable

from triage.logsafe import redact_secrets


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Log lines to stderr, with ``secrets`` (``Settings.secret_values``) redacted at every level."""
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep that for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact_secrets(secrets)


def run_until_interrupted(coro) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
