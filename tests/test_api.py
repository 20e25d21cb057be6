"""The reviewer API and the dashboard's HTTP behaviour, against the real stack.

Real dev server, real emulator, an in-process worker, and the app served on a
real socket (``triage.runtime.asgi_server.serving``) called with httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import running_worker, sent_mail
from tests.helpers import ALICE, REVIEWERS, api, csrf_token, start_for, state_of, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import TriageStatus
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings

BOB = {"Authorization": "Bearer tok-b"}


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"reviewers": REVIEWERS})


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Visibility is eventually consistent: poll until ``check`` returns something truthy."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.1)
    return result


async def listed_ids(http: httpx.AsyncClient, **params: str) -> set[str]:
    response = await http.get("/api/reviews", headers=ALICE, params={"limit": "200", **params})
    assert response.status_code == 200, response.text
    return {item["workflow_id"] for item in response.json()["items"]}


async def test_health_auth_docs_and_input_errors(dev_env):
    settings = Settings(reviewers=REVIEWERS)
    async with api(settings, dev_env.client) as http:
        health = await http.get("/healthz")
        assert health.status_code == 200 and health.json() == {"status": "ok", "temporal": True}

        for headers in (
            {},
            {"Authorization": "Bearer nope"},
            {"Authorization": "Basic dG9rLWE6"},
            {"Authorization": "tok-a"},
        ):
            denied = await http.get("/api/reviews", headers=headers)
            assert denied.status_code == 401, headers
            assert denied.headers["www-authenticate"] == "Bearer"
        assert (
            await http.post("/api/reviews/x/approve", headers={"Authorization": "Bearer tok-"})
        ).status_code == 401

        page = await http.get("/api/reviews", headers=ALICE, params={"limit": "1"})
        assert page.status_code == 200 and set(page.json()) == {"items", "next_cursor"}

        assert (await http.get("/api/reviews/triage-no-such-message", headers=ALICE)).status_code == 404
        missing = await http.post(
            "/api/reviews/triage-no-such-message/approve", headers=ALICE, json={"revision": 1}
        )
        assert missing.status_code == 404, missing.text
        for params in (
            {"cursor": "%%%"},
            {"cursor": "Z2FyYmFnZQ"},
            {"status": "pending"},
            {"limit": "0"},
            {"category": "spam"},
        ):
            assert (await http.get("/api/reviews", headers=ALICE, params=params)).status_code == 422, params

        docs = await http.get("/docs")
        assert docs.status_code == 200 and "/api/reviews/{workflow_id}/approve" in docs.text
        assert "script-src 'self'" in docs.headers["content-security-policy"]
        assert "cdn" not in docs.text.lower()
        spec = (await http.get("/openapi.json")).json()
        assert {"/api/reviews", "/api/reviews/{workflow_id}/draft", "/healthz"} <= set(spec["paths"])


async def test_edit_then_approve_sends_the_edit_once_as_the_token_owner(dev_env, api_settings, control):
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        handle = await start_for(
            dev_env.client, api_settings, control, subject=subject("billing", 0.9, text="Refund please")
        )
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        await eventually(lambda: _contains(listed_ids(http, category="billing"), handle.id))

        state = await state_of(http, handle.id)
        assert state["status"] == "awaiting_review" and state["revision"] == 1
        assert state["message"]["subject"].endswith("Refund please")

        edited = await http.patch(
            f"/api/reviews/{handle.id}/draft", headers=BOB, json={"body": "Edited by Bob.", "revision": 1}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["status"] == "awaiting_review" and edited.json()["revision"] == 2
        state = await state_of(http, handle.id)
        assert (state["draft_body"], state["revision"]) == ("Edited by Bob.", 2)

        # A body cannot name the reviewer: refused outright, nothing applied.
        forged = await http.post(
            f"/api/reviews/{handle.id}/approve", headers=BOB, json={"reviewer": "mallory"}
        )
        assert forged.status_code == 422
        assert len((await state_of(http, handle.id))["decisions"]) == 1

        approved = await http.post(f"/api/reviews/{handle.id}/approve", headers=BOB)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "sent" and approved.json()["sent_message_id"]

        again = await http.post(f"/api/reviews/{handle.id}/approve", headers=ALICE, json={"revision": 2})
        assert again.status_code == 409 and again.json()["kind"] == "ReviewClosed", again.text

        state = await state_of(http, handle.id)
        assert [(d["decision"]["action"], d["decision"]["reviewer"]) for d in state["decisions"]] == [
            ("edit", "bob"),
            ("approve", "bob"),
        ]
        assert [s["plain_body"] for s in await sent_mail(control)] == ["Edited by Bob."]
        # Decided items leave the queue and show up among the sent ones.
        await eventually(lambda: _lacks(listed_ids(http), handle.id))
        await eventually(lambda: _contains(listed_ids(http, status="sent"), handle.id))
        assert (await handle.result()).reviewer == "bob"


async def test_redraft_stale_reject_and_validation(dev_env, api_settings, control):
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        bug = await start_for(
            dev_env.client, api_settings, control, subject=subject("bug", 0.9, text="Crash")
        )
        billing = await start_for(dev_env.client, api_settings, control, subject=subject("billing", 0.9))
        await wait_for_status(bug, TriageStatus.AWAITING_REVIEW)
        await wait_for_status(billing, TriageStatus.AWAITING_REVIEW)

        # Pagination: a cursor leads to the next page, never repeating an item.
        first = (await http.get("/api/reviews", headers=ALICE, params={"limit": "1"})).json()
        assert len(first["items"]) == 1 and first["next_cursor"]
        second = (
            await http.get(
                "/api/reviews", headers=ALICE, params={"limit": "1", "cursor": first["next_cursor"]}
            )
        ).json()
        assert (
            len(second["items"]) == 1
            and second["items"][0]["workflow_id"] != first["items"][0]["workflow_id"]
        )

        redraft = await http.post(
            f"/api/reviews/{bug.id}/redraft",
            headers=ALICE,
            json={"instructions": "Apologise first", "revision": 1},
        )
        assert redraft.status_code == 200, redraft.text
        assert redraft.json() == {"status": "awaiting_review", "revision": 2, "sent_message_id": None}
        redrafted = (await state_of(http, bug.id))["draft_body"]
        assert "reply #2" in redrafted and "Apologise first" not in redrafted  # instructions never in a draft
        stale = await http.post(f"/api/reviews/{bug.id}/approve", headers=ALICE, json={"revision": 1})
        assert stale.status_code == 409 and stale.json()["kind"] == "StaleRevision", stale.text

        url = f"/api/reviews/{billing.id}"
        invalid = [
            ("POST", "/reject", {"reason": "   "}),
            ("POST", "/reject", {}),
            ("POST", "/redraft", {"instructions": ""}),
            ("PATCH", "/draft", {"body": ""}),
            ("PATCH", "/draft", {"body": "x", "revision": 0}),
            ("POST", "/approve", {"body": " \n "}),
            ("POST", "/approve", {"revision": "one"}),
        ]
        for method, suffix, body in invalid:
            response = await http.request(method, url + suffix, headers=ALICE, json=body)
            assert response.status_code == 422, (suffix, body, response.text)
        bad_json = await http.post(
            url + "/reject", headers={**ALICE, "Content-Type": "application/json"}, content=b"{"
        )
        assert bad_json.status_code == 422

        rejected = await http.post(url + "/reject", headers=ALICE, json={"reason": "Handled by phone"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
        decision = (await state_of(http, billing.id))["decisions"][0]["decision"]
        assert (decision["action"], decision["reviewer"], decision["reason"]) == (
            "reject",
            "alice",
            "Handled by phone",
        )
        assert await sent_mail(control) == []


async def test_no_reply_needed_over_the_api_and_the_dashboard(dev_env, api_settings, control):
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        thanks = await start_for(dev_env.client, api_settings, control, subject=subject("general", 0.4))
        other = await start_for(dev_env.client, api_settings, control, subject=subject("general", 0.4))
        for handle in (thanks, other):
            await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)

        closed = await http.post(f"/api/reviews/{thanks.id}/close", headers=BOB, json={"reviewer": "mallory"})
        assert closed.status_code == 422, closed.text  # the reviewer is the token's, never the body's
        closed = await http.post(f"/api/reviews/{thanks.id}/close", headers=BOB)
        assert closed.json() == {"status": "no_reply_needed", "revision": 1, "sent_message_id": None}
        decision = (await state_of(http, thanks.id))["decisions"][0]["decision"]
        assert (decision["action"], decision["reviewer"]) == ("close", "bob")
        again = await http.post(f"/api/reviews/{thanks.id}/close", headers=BOB)
        assert again.status_code == 409, again.text
        assert thanks.id in await eventually(lambda: listed_ids(http, status="no_reply_needed"))

        # The dashboard's button: a form like the others, CSRF-checked.
        login = await http.get("/login")
        await http.post("/login", data={"token": "tok-a", "csrf_token": csrf_token(login.text)})
        page = await http.get(f"/reviews/{other.id}")
        assert 'data-testid="close"' in page.text and "No reply needed" in page.text
        form = {"csrf_token": csrf_token(page.text), "revision": "1"}
        done = await http.post(f"/reviews/{other.id}/close", data=form)
        assert done.status_code == 303 and done.headers["location"] == "/"
        state = await state_of(http, other.id)
        assert (
            state["status"] == "no_reply_needed" and state["decisions"][-1]["decision"]["reviewer"] == "alice"
        )
        assert await sent_mail(control) == []


async def test_temporal_down_is_503_and_lazy_client_connects(dev_env):
    down = Settings(reviewers=REVIEWERS, temporal_address=f"127.0.0.1:{free_port()}")
    async with api(down, None) as http:
        for method, path in (
            ("GET", "/api/reviews"),
            ("GET", "/api/reviews/x"),
            ("POST", "/api/reviews/x/approve"),
        ):
            response = await http.request(method, path, headers=ALICE)
            assert response.status_code == 503, (path, response.text)
            assert "Temporal is unreachable" in response.json()["detail"]
        assert (await http.get("/healthz")).json() == {"status": "ok", "temporal": False}

    target = dev_env.client.service_client.config.target_host
    up = Settings(reviewers=REVIEWERS, temporal_address=target, temporal_namespace=dev_env.client.namespace)
    async with api(up, None) as http:
        assert (await http.get("/healthz")).json()["temporal"] is True
        assert (await http.get("/api/reviews", headers=ALICE)).status_code == 200


async def test_dashboard_login_csrf_headers_and_stale_form(dev_env, api_settings, control):
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        handle = await start_for(dev_env.client, api_settings, control, subject=subject("bug", 0.9))
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)

        assert (await http.get(f"/reviews/{handle.id}")).headers[
            "location"
        ] == f"/login?next=%2Freviews%2F{handle.id}"
        login = await http.get("/login", params={"next": "//evil.example/x"})
        assert login.headers["content-security-policy"].startswith("default-src 'self'")
        assert login.headers["x-content-type-options"] == "nosniff"
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        csrf = csrf_token(login.text)

        assert (await http.post("/login", data={"token": "tok-a"})).status_code == 403
        wrong = await http.post("/login", data={"token": "tok-x", "csrf_token": csrf})
        assert wrong.status_code == 401 and "not valid" in wrong.text
        ok = await http.post(
            "/login", data={"token": "tok-a", "csrf_token": csrf, "next": "//evil.example/x"}
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/"

        page = await http.get(f"/reviews/{handle.id}")
        assert page.status_code == 200 and "revision 1" in page.text
        csrf = csrf_token(page.text)
        form = {"csrf_token": csrf, "revision": "1", "body": "Mine", "draft_digest": "x"}
        assert (
            await http.post(f"/reviews/{handle.id}/approve", data={**form, "csrf_token": "forged"})
        ).status_code == 403

        # Someone edits through the API meanwhile: the form's revision 1 is stale.
        await http.patch(f"/api/reviews/{handle.id}/draft", headers=BOB, json={"body": "Bob's text"})
        stale = await http.post(f"/reviews/{handle.id}/approve", data=form)
        assert stale.status_code == 409 and "The draft changed" in stale.text
        assert "Mine" in stale.text and "Bob&#39;s text" in stale.text  # the reviewer's text is kept
        assert await sent_mail(control) == []

        csrf = csrf_token(stale.text)
        rejected = await http.post(
            f"/reviews/{handle.id}/reject", data={"csrf_token": csrf, "revision": "2", "reason": "Duplicate"}
        )
        assert rejected.status_code == 303 and rejected.headers["location"] == "/"
        state = await state_of(http, handle.id)
        assert state["status"] == "rejected" and state["decisions"][-1]["decision"]["reviewer"] == "alice"

        history = await http.get("/history")
        assert history.status_code == 200 and handle.id in history.text

        assert (await http.post("/logout", data={"csrf_token": csrf})).status_code == 303
        assert (await http.get("/")).status_code == 303


async def test_slack_notification_deep_links_to_the_review_page(
    dev_env, api_settings, control, slack_receiver
):
    settings = api_settings.model_copy(update={"public_url": "https://triage.example.com/"})
    async with (
        running_worker(dev_env.client, settings, webhook_url=slack_receiver.url),
        api(settings, dev_env.client) as http,
    ):
        handle = await start_for(dev_env.client, settings, control, subject=subject("billing", 0.9))
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        await eventually(lambda: _true(bool(slack_receiver.messages)))
        link = f"https://triage.example.com/reviews/{handle.id}"
        message = slack_receiver.messages[0]
        buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [b["url"] for b in buttons] == [link] and link in message["text"]
        # The same path on the dashboard is the review page (behind the login).
        response = await http.get(link.removeprefix("https://triage.example.com"))
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login?next=%2Freviews%2F"
        )


async def _contains(ids: Awaitable[set[str]], workflow_id: str) -> bool:
    return workflow_id in await ids


async def _lacks(ids: Awaitable[set[str]], workflow_id: str) -> bool:
    return workflow_id not in await ids


async def _true(value: bool) -> bool:
    return value
