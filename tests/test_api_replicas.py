"""Two API processes on one dev server (issue 26, point 3): sessions and throttling are shared
and survive a restart, because they live in Temporal, not in either process.

Each replica is ``python -m starter.cli api``, as an operator runs it, with the same
``TRIAGE_SESSION_SECRET``. Sign in on one, work on the other, sign out on either: the
copied cookie is then refused by both, every one of 100 tries.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.helpers import child_process, csrf_token
from triage.runtime.asgi_server import free_port

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "ada-" + "a" * 30
TRIES = 100
COOKIE = "triage_session"


@asynccontextmanager
async def replica(env: dict[str, str], port: int) -> AsyncIterator[str]:
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "starter.cli", "api", "--host", "127.0.0.1", "--port", str(port)]
    async with child_process(
        args, f"{url}/healthz", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        yield url
    logged = process.stdout.read().decode() if process.stdout else ""
    assert ADMIN_TOKEN not in logged and env["TRIAGE_SESSION_SECRET"] not in logged


@pytest.fixture
def replica_env(dev_env) -> dict[str, str]:
    return {
        **os.environ,
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": dev_env.client.namespace,
        "TEMPORAL_TASK_QUEUE": f"replicas-{uuid.uuid4().hex[:8]}",
        "TRIAGE_REVIEWERS": f"ada:{ADMIN_TOKEN}:admin",
        "TRIAGE_SESSION_SECRET": "replica-secret-" + uuid.uuid4().hex,
    }


async def sign_in(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=15) as http:
        login = await http.get("/login")
        signed_in = await http.post(
            "/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf_token(login.text)}
        )
        assert signed_in.status_code == 303, signed_in.text
        return http.cookies[COOKIE]


def browser(url: str, cookie: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=url, timeout=15)
    http.cookies.set(COOKIE, cookie)
    return http


async def test_sign_in_on_one_work_on_the_other_sign_out_on_either(replica_env):
    figures = []
    async with replica(replica_env, free_port()) as a, replica(replica_env, free_port()) as b:
        for signs_out in (b, a):
            cookie = await sign_in(a)
            async with browser(a, cookie) as on_a, browser(b, cookie) as on_b:
                page = await on_b.get("/sessions")  # work on the other replica
                assert page.status_code == 200 and "Your sessions" in page.text
                listed = await on_b.get("/api/sessions", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
                assert len(listed.json()) >= 1
                out = on_b if signs_out is b else on_a
                assert (
                    await out.post("/logout", data={"csrf_token": csrf_token(page.text)})
                ).status_code == 303
                signed_out_at = time.perf_counter()
                accepted, latencies, first_refusal = 0, [], None
                for i in range(TRIES):
                    # A copied cookie (the browser's own was cleared by the logout).
                    async with browser(a if i % 2 else b, cookie) as thief:
                        started = time.perf_counter()
                        response = await thief.get("/sessions")
                        latencies.append(time.perf_counter() - started)
                    if response.status_code == 200:
                        accepted += 1
                    elif first_refusal is None:
                        first_refusal = time.perf_counter() - signed_out_at
                    assert response.status_code in (200, 303)
                figures.append(
                    ("B" if signs_out is b else "A", accepted, first_refusal, statistics.median(latencies))
                )
                assert accepted == 0
                assert first_refusal is not None and first_refusal < 1.0
    for where, accepted, first, median in figures:
        print(
            f"\nsigned out on {where}: {accepted}/{TRIES} tries accepted after the logout on both replicas; "
            f"first refusal {first * 1000:.1f} ms after it; median dashboard request {median * 1000:.1f} ms"
        )


async def test_sessions_and_throttling_survive_a_restart(replica_env):
    port = free_port()
    async with replica(replica_env, port) as a:
        cookie = await sign_in(a)
    async with replica(replica_env, port) as a_again, replica(replica_env, free_port()) as b:
        async with browser(a_again, cookie) as http:
            assert (await http.get("/sessions")).status_code == 200  # no session lost in the restart
        # Five wrong tokens on one replica: the other throttles the next attempt.
        async with httpx.AsyncClient(base_url=a_again, timeout=15) as guesser:
            for i in range(5):
                login = await guesser.get("/login")
                wrong = await guesser.post(
                    "/login", data={"token": f"guess-{i}-" + "x" * 30, "csrf_token": csrf_token(login.text)}
                )
                assert wrong.status_code == 401
        async with httpx.AsyncClient(base_url=b, timeout=15) as same_client:
            login = await same_client.get("/login")
            blocked = await same_client.post(
                "/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf_token(login.text)}
            )
            assert blocked.status_code == 429
    async with (
        replica(replica_env, free_port()) as restarted,
        httpx.AsyncClient(base_url=restarted, timeout=15) as http,
    ):
        # The one-second wait has passed while it started; the five failures have not: a
        # sixth makes the next attempt wait two seconds (a process starting afresh lets it in).
        login = await http.get("/login")
        wrong = await http.post(
            "/login", data={"token": "guess-6-" + "x" * 30, "csrf_token": csrf_token(login.text)}
        )
        assert wrong.status_code == 401
        login = await http.get("/login")
        still = await http.post("/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf_token(login.text)})
        assert (
            still.status_code == 429 and int(still.headers["retry-after"]) >= 2
        )  # the failures outlived every process
