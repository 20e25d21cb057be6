"""Waiting for a server started elsewhere (a child process, a container) to answer over HTTP."""

from __future__ import annotations

import asyncio

import httpx


async def wait_http(url: str, timeout: float = 30.0) -> None:
    """Until ``url`` answers with anything but a 5xx; TimeoutError after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                if (await http.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout:.0f}s")
            await asyncio.sleep(0.3)
