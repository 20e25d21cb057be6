"""A Temporal client for one command, on a runtime that ends with it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from triage.runtime.config import get_settings

if TYPE_CHECKING:
    from temporalio.client import Client

T = TypeVar("T")

CONNECT_TIMEOUT = 10.0
QUERY_TIMEOUT = timedelta(seconds=10)


def with_client(work: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``work`` with a Temporal client on a runtime of its own, both dropped on return.

    The SDK's default runtime is a module global: its Rust threads would
    outlive the command and could take the GIL while the interpreter
    finalizes (``Fatal Python error: PyGILState_Release``, exit 134).
    Dropping the client and the runtime here joins those threads first.
    """
    from temporalio.runtime import Runtime, TelemetryConfig

    from triage.runtime.temporal_client import connect

    runtime: Runtime | None = Runtime(telemetry=TelemetryConfig())

    async def main() -> T:
        client = await asyncio.wait_for(connect(get_settings(), runtime=runtime), CONNECT_TIMEOUT)
        try:
            return await work(client)
        finally:
            del client

    try:
        return asyncio.run(main())
    finally:
        runtime = None
        gc.collect()
