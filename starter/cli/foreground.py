"""Running one of the stack's long-lived parts in the foreground, until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Coroutine
from typing import Any


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep that for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run_until_interrupted(coro: Coroutine[Any, Any, Any]) -> None:
    try:
        asyncio.run(coro)
    except KeyboardInterrupt:
        pass
