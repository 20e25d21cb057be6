"""Running one of the stack's long-lived parts in the foreground, until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Coroutine, Iterable
from contextlib import suppress
from typing import Any

from triage.runtime.logsafe import redact_secrets


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Log lines to stderr, with ``secrets`` (``Settings.secret_values``) redacted at every level."""
    logging.basicConfig(
        level=os.environ.get("TRIAGE_LOG_LEVEL", level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO; keep that for debugging only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact_secrets(secrets)


def run_until_interrupted(coro: Coroutine[Any, Any, Any]) -> None:
    """Run ``coro`` until Ctrl-C or SIGTERM, then let it clean up, quietly.

    The first signal cancels it once; repeats (a terminal's Ctrl-C reaches ``triage up``
    and its children alike, and ``triage up`` passes it on) change nothing, so the
    clean-up is never interrupted halfway into a traceback.
    """

    async def main() -> None:
        task = asyncio.ensure_future(coro)
        loop = asyncio.get_running_loop()
        stopping = False

        def stop() -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                task.cancel()

        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            with suppress(NotImplementedError, RuntimeError):  # no handlers off the main thread
                loop.add_signal_handler(sig, stop)
        try:
            with suppress(asyncio.CancelledError):
                await task
        finally:
            # Done: a late repeat must not reach the interpreter's exit (closing the loop would
            # put the default handlers back, and a SIGINT then is a KeyboardInterrupt traceback).
            for sig in signals:
                with suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
                    signal.signal(sig, signal.SIG_IGN)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # before the handlers were in place
        pass
