"""The workers ride out a Temporal server that is down or restarting.

A worker started while the server is away (a restart, a cluster upgrade, a
machine that boots its services in any order) waits for it instead of exiting;
a worker that loses it keeps polling (the SDK retries its polls) and says so.
Either way the log gets one line when the server stops answering, with the
reason, and one when it answers again: not one per attempt. What no retry can
fix (an address that is not one, a refused API key or certificate, a namespace
that does not exist) still ends the process, with its cause.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from triage.runtime.config import Settings
from triage.runtime.temporal_client import connect, worker_runtime

log = logging.getLogger(__name__)

# Between two connection attempts, and between two health checks of a connected worker.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
HEALTH_EVERY_S = 2.0
HEALTH_TIMEOUT = timedelta(seconds=5)

# The answers of a server that is down, restarting or overloaded: worth waiting for.
_PASSING = (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED)
# The same, as the SDK's connect spells them in its error.
_PASSING_CODES = ("Unavailable", "DeadlineExceeded", "Cancelled", "Unknown")
_CONNECT = "Failed client connect:"


def passing(err: BaseException) -> bool:
    """True for a failure that waiting may cure (nothing listens, or it does not answer yet)."""
    match err:
        case RPCError():
            return err.status in _PASSING
        case TimeoutError():
            return True
        case RuntimeError():
            # The SDK's connect: a transport error (refused, reset, no such host yet), or a server
            # that is up but not serving yet; any other reason (URI, headers, a refused API key or
            # certificate) is configuration.
            text = str(err)
            return text.startswith(f"{_CONNECT} Server connection error") or (
                text.startswith(f"{_CONNECT} `get_system_info` call error")
                and any(f"code: {code}," in text for code in _PASSING_CODES)
            )
    return False


# The transport's own words inside the SDK's error ("tcp connect error", "Connection refused").
_QUOTED = re.compile(r'(?:ConnectError\(|message: |error: )"([^"]+)"')


def reason(err: BaseException) -> str:
    """Why it failed, in one short line."""
    text = err.message if isinstance(err, RPCError) else str(err)
    if quoted := _QUOTED.findall(text):
        return ": ".join(dict.fromkeys(quoted))
    return " ".join(text.removeprefix(_CONNECT).split()) or type(err).__name__


async def connect_when_reachable(settings: Settings, *, serve_metrics: bool = False) -> Client:
    """A worker's ``connect``, retried (one line when it fails, one when it answers) until the server answers."""
    runtime = worker_runtime(settings, serve_metrics=serve_metrics)
    delay, down_since = RETRY_FIRST_S, None
    loop = asyncio.get_running_loop()
    while True:
        try:
            client = await connect(settings, runtime=runtime)
        except Exception as err:
            if not passing(err):
                raise
            if down_since is None:
                down_since = loop.time()
                log.warning(
                    "Temporal is unreachable at %s (%s): retrying until it answers",
                    settings.temporal_address,
                    reason(err),
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
            continue
        if down_since is not None:
            log.info(
                "Temporal at %s answers (after %.0f s)", settings.temporal_address, loop.time() - down_since
            )
        return client


async def _watch(client: Client, address: str) -> None:
    """Log the server's comings and goings while the worker polls (the SDK retries on its own)."""
    down_since: float | None = None
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(HEALTH_EVERY_S)
        try:
            await client.service_client.check_health(timeout=HEALTH_TIMEOUT)
        except Exception as err:
            if down_since is None:
                down_since = loop.time()
                log.warning(
                    "Temporal is unreachable at %s (%s): the worker keeps polling", address, reason(err)
                )
            continue
        if down_since is not None:
            log.info("Temporal at %s answers again (after %.0f s)", address, loop.time() - down_since)
            down_since = None


@asynccontextmanager
async def watching_reachability(client: Client, address: str) -> AsyncIterator[None]:
    """While inside: one line when the server stops answering, one when it answers again."""
    task = asyncio.create_task(_watch(client, address))
    try:
        yield
    finally:
        task.cancel()
