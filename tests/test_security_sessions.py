"""Sessions that end (issue 12, item 3), against the app on a real socket.

Server-side sessions (logout and revocation end a copied cookie too), no token
fingerprint in the cookie, sign-in throttling per client and per named reviewer
with logged failures, a minimum token length at start-up, and error pages that
never replace a valid session.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import itsdangerous.timed
import pytest
from pydantic import SecretStr

from starter.api import create_app
from starter.api.auth import MIN_TOKEN_CHARS, LoginThrottle, SessionStore, check_reviewer_tokens
from starter.api.server import run_api
from starter.api.sessions import SESSION_IDLE
from starter.api.throttle import MemoryFailures
from tests.helpers import csrf_token
from triage.runtime.asgi_server import free_port, serving
from triage.runtime.config import Settings

ALICE_TOKEN = "alice-" + "a" * 30
BOB_TOKEN = "bob-" + "b" * 30
SETTINGS = Settings(reviewers=SecretStr(f"alice:{ALICE_TOKEN},bob:{BOB_TOKEN}"))
ALICE = {"Authorization": f"Bearer {ALICE_TOKEN}"}
BOB = {"Authorization": f"Bearer {BOB_TOKEN}"}
COOKIE = "triage_session"


@pytest.fixture
def temporal(dev_env):
    return dev_env.client


@asynccontextmanager
async def app_url(client, **options) -> AsyncIterator[str]:
    # Sessions and sign-in failures live in Temporal: a task queue of its own per app.
    settings = SETTINGS.model_copy(update={"temporal_task_queue": f"sessions-{uuid.uuid4().hex[:8]}"})
    app = create_app(settings, client, **options)
    # Trust X-Forwarded-For from the test so that requests can come from several "clients".
    async with serving(app, proxy_headers=True, forwarded_allow_ips="*") as base:
        yield base


def browser(base: str, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base, timeout=30, headers={"X-Forwarded-For": ip, "User-Agent": f"test-{ip}"}
    )


async def sign_in(http: httpx.AsyncClient, token: str, name: str | None = None) -> httpx.Response:
    csrf = csrf_token((await http.get("/login")).text)
    form = {"token": token, "csrf_token": csrf}
    if name is not None:
        form["name"] = name
    return await http.post("/login", data=form)


def cookie_data(value: str) -> dict:
    payload = value.split(".")[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))


async def test_logout_ends_the_session_for_a_copied_cookie_too(temporal):
    async with app_url(temporal) as base, browser(base) as http:
        assert (await sign_in(http, ALICE_TOKEN)).status_code == 303
        assert (await http.get("/sessions")).status_code == 200
        stolen = http.cookies[COOKIE]
        # The cookie holds a random session id and the CSRF token: no token, no fingerprint.
        data = cookie_data(stolen)
        assert set(data) <= {"sid", "csrf", "flash", "seen"} and "sid" in data
        assert hashlib.sha256(ALICE_TOKEN.encode()).hexdigest() not in json.dumps(data)
        assert ALICE_TOKEN not in json.dumps(data)

        csrf = csrf_token((await http.get("/sessions")).text)
        assert (await http.post("/logout", data={"csrf_token": csrf})).status_code == 303
        async with browser(base, "10.9.9.9") as thief:
            thief.cookies.set(COOKIE, stolen)
            replay = await thief.get("/sessions")
            assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


async def test_sessions_are_listed_and_revoked_per_reviewer(temporal):
    async with (
        app_url(temporal) as base,
        browser(base, "10.0.0.1") as first,
        browser(base, "10.0.0.2") as second,
        browser(base, "10.0.0.3") as bobs,
        httpx.AsyncClient(base_url=base) as api,
    ):
        for client, token in ((first, ALICE_TOKEN), (second, ALICE_TOKEN), (bobs, BOB_TOKEN)):
            assert (await sign_in(client, token)).status_code == 303
        listed = (await api.get("/api/sessions", headers=ALICE)).json()
        assert sorted(s["client"] for s in listed) == ["10.0.0.1", "10.0.0.2"]
        assert {s["user_agent"] for s in listed} == {"test-10.0.0.1", "test-10.0.0.2"}
        assert [s["client"] for s in (await api.get("/api/sessions", headers=BOB)).json()] == ["10.0.0.3"]
        assert (await api.get("/api/sessions")).status_code == 401

        target = next(s["id"] for s in listed if s["client"] == "10.0.0.2")
        # Bob cannot end Alice's session; Alice can.
        assert (await api.delete(f"/api/sessions/{target}", headers=BOB)).status_code == 404
        assert (await second.get("/sessions")).status_code == 200
        assert (await api.delete(f"/api/sessions/{target}", headers=ALICE)).status_code == 204
        assert (await second.get("/sessions")).status_code == 303
        assert (await first.get("/sessions")).status_code == 200

        # The dashboard page lists them too, and signs out all the others.
        assert (await sign_in(second, ALICE_TOKEN)).status_code == 303
        page = await first.get("/sessions")
        assert page.text.count("Sign out (this browser)") == 1 and "10.0.0.2" in page.text
        revoked = await first.post("/sessions/revoke", data={"csrf_token": csrf_token(page.text)})
        assert revoked.status_code == 303
        assert (await second.get("/sessions")).status_code == 303
        assert (await first.get("/sessions")).status_code == 200
        assert (await bobs.get("/sessions")).status_code == 200

        assert (await api.delete("/api/sessions", headers=ALICE)).json() == {"revoked": 1}
        assert (await first.get("/sessions")).status_code == 303


async def test_sign_in_is_throttled_per_client_and_per_reviewer_and_failures_are_logged(temporal, caplog):
    caplog.set_level(logging.WARNING, logger="starter.api")
    async with app_url(temporal) as base:
        async with browser(base, "10.1.0.1") as guesser:
            statuses = [(await sign_in(guesser, f"guess-{i}-" + "x" * 30)).status_code for i in range(5)]
            assert statuses == [401] * 5
            blocked = await sign_in(guesser, ALICE_TOKEN)  # even the right token waits now
            assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
            assert "Too many failed sign-ins" in blocked.text
        async with browser(base, "10.1.0.2") as someone_else:
            assert (await sign_in(someone_else, ALICE_TOKEN)).status_code == 303

        # Per reviewer: failures naming alice from many clients lock alice's name, not others.
        for i in range(5):
            async with browser(base, f"10.2.0.{i}") as client:
                assert (await sign_in(client, "wrong-" + "y" * 30, name="alice")).status_code == 401
        async with browser(base, "10.3.0.1") as fresh:
            assert (await sign_in(fresh, ALICE_TOKEN, name="alice")).status_code == 429
            assert (await sign_in(fresh, BOB_TOKEN, name="bob")).status_code == 303
        async with browser(base, "10.3.0.2") as claims_wrong_name:
            # A right token under someone else's name is a failure, not a sign-in.
            assert (await sign_in(claims_wrong_name, BOB_TOKEN, name="carol")).status_code == 401

        # The API's bearer tokens count too.
        async with httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": "10.4.0.1"}) as api:
            for i in range(5):
                bad = {"Authorization": f"Bearer nope-{i}"}
                assert (await api.get("/api/reviews", headers=bad)).status_code == 401
            throttled = await api.get("/api/sessions", headers=ALICE)
            assert throttled.status_code == 429 and throttled.headers["retry-after"]
    failures = [r.getMessage() for r in caplog.records if "failed sign-in" in r.getMessage()]
    assert any("10.1.0.1" in m for m in failures) and any("'alice'" in m for m in failures)
    assert any("rejected bearer token from 10.4.0.1" in r.getMessage() for r in caplog.records)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "guess-" not in logged and "wrong-" not in logged and ALICE_TOKEN not in logged


async def test_throttle_waits_grow_and_pass():
    now = [1000.0]
    throttle = LoginThrottle(free=3, window=600, max_delay=60, clock=lambda: now[0])
    keys = throttle.keys("1.2.3.4")
    for _ in range(3):
        assert await throttle.retry_after(keys) == 0
        await throttle.failed(keys)
    assert await throttle.retry_after(keys) == pytest.approx(1.0)
    now[0] += 1.0
    assert await throttle.retry_after(keys) == 0
    await throttle.failed(keys)
    assert await throttle.retry_after(keys) == pytest.approx(2.0)
    for _ in range(20):
        await throttle.failed(keys)
    assert await throttle.retry_after(keys) == pytest.approx(60.0)  # capped
    now[0] += 601
    assert await throttle.retry_after(keys) == 0  # the window forgets
    small = MemoryFailures(max_keys=100)
    for i in range(1000):
        await small.add(f"client:10.0.{i // 250}.{i % 250}", 0.0, 5)
    assert len(small._failures) <= 100


async def test_sessions_end_when_old_or_idle(temporal, monkeypatch):
    # Old: the server ends the session's execution at its timeout (here two seconds).
    async with app_url(temporal, session_max_age=2) as base, browser(base) as http:
        assert (await sign_in(http, ALICE_TOKEN)).status_code == 303
        assert (await http.get("/sessions")).status_code == 200
        await asyncio.sleep(3)
        assert (await http.get("/sessions")).status_code == 303
    # Idle: the cookie's timestamped signature is refused once older than SESSION_IDLE.
    async with app_url(temporal) as base, browser(base) as http:
        assert (await sign_in(http, ALICE_TOKEN)).status_code == 303
        assert (await http.get("/sessions")).status_code == 200
        later = int(time.time()) + SESSION_IDLE + 1
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda _: later)
        assert (await http.get("/sessions")).status_code == 303
    store = SessionStore(b"k", temporal_client(temporal), "q")
    assert store.fingerprint(ALICE_TOKEN) != hashlib.sha256(ALICE_TOKEN.encode()).hexdigest()
    assert SessionStore(b"other", temporal_client(temporal), "q").fingerprint(
        ALICE_TOKEN
    ) != store.fingerprint(ALICE_TOKEN)


def temporal_client(client):
    async def connected():
        return client

    return connected


async def test_short_or_shared_tokens_stop_the_start(temporal):
    weak = Settings(reviewers=SecretStr("alice:short-token,bob:" + "s" * MIN_TOKEN_CHARS))
    with pytest.raises(SystemExit) as stopped:
        await run_api(weak, "127.0.0.1", free_port())
    message = str(stopped.value)
    assert (
        "'alice'" in message and f"fewer than {MIN_TOKEN_CHARS}" in message and "short-token" not in message
    )
    shared = Settings(reviewers=SecretStr(f"alice:{ALICE_TOKEN},bob:{ALICE_TOKEN}"))
    with pytest.raises(SystemExit, match="share a token"):
        check_reviewer_tokens(shared)
    check_reviewer_tokens(SETTINGS)  # long, distinct tokens pass


async def test_error_pages_never_replace_a_valid_session(temporal):
    async with app_url(temporal) as base, browser(base) as reviewer:
        assert (await sign_in(reviewer, ALICE_TOKEN)).status_code == 303
        session_cookie = reviewer.cookies[COOKIE]
        # A cross-site form POST carries no (SameSite=Lax) cookie and no CSRF token.
        async with browser(base) as cross_site:
            for path in ("/logout", "/login", "/sessions/revoke"):
                forged = await cross_site.post(path, data={"token": "x"})
                assert forged.status_code in (403, 303), path
                assert "set-cookie" not in forged.headers, path
        # With the cookie but a forged token: 403, and the session cookie is not replaced.
        forged = await reviewer.post("/logout", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert (
            reviewer.cookies[COOKIE] == session_cookie
            or cookie_data(reviewer.cookies[COOKIE])["sid"] == cookie_data(session_cookie)["sid"]
        )
        assert (await reviewer.get("/sessions")).status_code == 200


async def test_no_token_or_secret_in_temporal_history_logs_pages_or_the_openapi_document(temporal, caplog):
    caplog.set_level(logging.DEBUG)
    session_secret, client_secret = "session-secret-" + "q" * 30, "oidc-client-secret-" + "z" * 30
    queue = f"secrets-{uuid.uuid4().hex[:8]}"
    settings = SETTINGS.model_copy(
        update={
            "temporal_task_queue": queue,
            "session_secret": SecretStr(session_secret),
            "oidc_issuer": "https://idp.example",
            "oidc_client_id": "triage",
            "oidc_client_secret": SecretStr(client_secret),
            "oidc_allowed_domains": "example.com",
        }
    )
    async with serving(create_app(settings, temporal)) as base, browser(base) as http:
        assert (await sign_in(http, "wrong-" + "w" * 30, name="alice")).status_code == 401
        assert (await sign_in(http, ALICE_TOKEN)).status_code == 303
        cookie = http.cookies[COOKIE]
        pages = [(await http.get(path)).text for path in ("/sessions", "/login", "/docs", "/openapi.json")]
        pages.append((await http.get("/api/sessions", headers=ALICE)).text)
        pages.append(
            (await http.get("/api/sessions", headers={"Authorization": "Bearer " + BOB_TOKEN[::-1]})).text
        )
    stored = []
    async for execution in temporal.list_workflows(f"TaskQueue = '{queue}-access'"):
        history = await temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        stored.append("\n".join(str(event) for event in history.events))
    assert len(stored) >= 2 and any("alice" in dump for dump in stored)  # a session and the failures
    secrets_ = [
        ALICE_TOKEN,
        BOB_TOKEN,
        BOB_TOKEN[::-1],
        session_secret,
        client_secret,
        cookie,
        cookie_data(cookie)["sid"],
        "wrong-www",
    ]
    # Everything the server side logged (the test's own HTTP client logs its requests: left out).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    for where, text in [("history", "\n".join(stored)), ("logs", logged), ("pages", "\n".join(pages))]:
        for secret in secrets_:
            assert secret not in text, (where, secret[:12])
