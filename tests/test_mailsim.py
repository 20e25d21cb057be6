"""The myagentmail emulator, seen the way a client sees it: real HTTP and real sockets."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from triage.mail.sim.runner import RunningMailSim, running_mailsim

PING_INTERVAL = 0.2


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[RunningMailSim]:
    async with running_mailsim(tmp_path / "mailsim.db", ping_interval=PING_INTERVAL, seed=1) as running:
        yield running


@pytest.fixture
async def api(sim: RunningMailSim) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API, authenticated, with paths relative to ``/v1/``."""
    async with httpx.AsyncClient(
        base_url=sim.base_url + "/", headers={"X-API-Key": sim.api_key}, timeout=30
    ) as client:
        yield client


@pytest.fixture
async def ctl(sim: RunningMailSim) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.control_url, timeout=30) as client:
        yield client


async def inbound(ctl: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"from": "Ann Lee <ann@example.org>", "subject": "Hello", "plain_body": "Hi there"} | fields
    response = await ctl.post("/_sim/inbound", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@asynccontextmanager
async def socket(
    sim: RunningMailSim, *, event_types: list[str] | None = None, inbox_ids: list[str] | None = None
) -> AsyncIterator[ClientConnection]:
    """A connected socket, subscribed unless ``event_types`` is ``[]``."""
    async with connect(sim.ws_url, additional_headers={"X-API-Key": sim.api_key}, max_size=None) as ws:
        assert (await recv(ws))["type"] == "connected"
        event_types = ["message.received"] if event_types is None else event_types
        if event_types:
            await ws.send(
                json.dumps({"type": "subscribe", "event_types": event_types, "inbox_ids": inbox_ids or []})
            )
            assert (await recv(ws))["type"] == "subscribed"
        yield ws


async def recv(ws: ClientConnection, timeout: float = 5.0, *, pings: bool = False) -> dict[str, Any]:
    """The next frame, skipping pings unless asked for them."""
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if pings or frame["type"] != "ping":
                return frame


async def silent_for(ws: ClientConnection, seconds: float) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def faults(ctl: httpx.AsyncClient, **settings: Any) -> dict[str, Any]:
    response = await ctl.post("/_sim/faults", json=settings)
    assert response.status_code == 200, response.text
    return response.json()


# ---- auth ----------------------------------------------------------------------------


async def test_rest_needs_a_valid_key(sim: RunningMailSim):
    async with httpx.AsyncClient(base_url=sim.base_url + "/") as anon:
        for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}):
            response = await anon.get("inboxes/support/messages", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == "UNAUTHORIZED" and response.json()["error"]
        assert (await anon.get("no/such/route")).status_code == 401  # auth comes before routing
        assert (await anon.get("me", headers={"Authorization": f"Bearer {sim.api_key}"})).status_code == 200
        me = await anon.get("me", headers={"X-API-Key": sim.api_key})
        assert me.json()["inboxId"] == sim.inbox_id


async def test_socket_needs_a_valid_key(sim: RunningMailSim):
    for url, headers in (
        (sim.ws_url, {}),
        (sim.ws_url + "?api_key=wrong", {}),
        (sim.ws_url, {"X-API-Key": "x"}),
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=headers):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["code"] == "UNAUTHORIZED"
    for url, headers in (
        (f"{sim.ws_url}?api_key={sim.api_key}", {}),
        (sim.ws_url, {"Authorization": f"Bearer {sim.api_key}"}),
    ):
        async with connect(url, additional_headers=headers) as ws:
            assert await recv(ws) == {"type": "connected", "inboxId": sim.inbox_id, "email": sim.inbox_email}


# ---- events ----------------------------------------------------------------------------


async def test_inbound_mail_arrives_as_a_snake_case_event(sim, api, ctl):
    async with socket(sim, inbox_ids=[sim.inbox_id]) as ws:
        created = await inbound(
            ctl, subject="Where is my order?", plain_body="Order 42", html_body="<p>Order 42</p>"
        )
        event = await recv(ws)
    assert event["type"] == "event" and event["event_type"] == "message.received"
    assert event["event_id"].startswith("evt_")
    assert event["message"] == {
        "inbox_id": sim.inbox_id,
        "message_id": created["message_id"],
        "thread_id": created["thread_id"],
        "from": "Ann Lee <ann@example.org>",
        "to": [sim.inbox_email],
        "subject": "Where is my order?",
        "plain_body": "Order 42",
        "html_body": "<p>Order 42</p>",
        "timestamp": event["message"]["timestamp"],
    }
    assert event["message"]["timestamp"].endswith("Z")
    assert event["thread"] == {"thread_id": created["thread_id"], "subject": "Where is my order?"}
    assert created["message_id"].startswith("msg_") and created["thread_id"].startswith("thr_")

    listed = (await api.get(f"inboxes/{sim.inbox_id}/messages")).json()["messages"][0]
    assert listed["isRead"] is False and listed["direction"] == "inbound" and listed["attachments"] == []
    fetched = (await api.get(f"inboxes/{sim.inbox_id}/messages/{created['message_id']}")).json()
    assert fetched["isRead"] is True and fetched["plainBody"] == "Order 42"
    assert set(fetched) == {
        "id", "direction", "from", "to", "subject", "plainBody", "htmlBody", "isRead",
        "threadId", "messageIdHeader", "inReplyTo", "receivedAt", "attachments",
    }  # fmt: skip
    again = (await api.get(f"inboxes/{sim.inbox_id}/messages")).json()["messages"][0]
    assert again["isRead"] is True


async def test_subscriptions_filter_by_inbox_and_event_type(sim, api, ctl):
    other = (await api.post("inboxes", json={"username": "billing"})).json()
    async with (
        socket(sim, inbox_ids=[other["id"]]) as other_only,
        socket(sim, event_types=["message.sent"]) as sent_only,
        socket(sim) as everything_received,
    ):
        await inbound(ctl, subject="to support")
        await inbound(ctl, subject="to billing", inbox_id=other["id"])
        await api.post(f"inboxes/{sim.inbox_id}/send", json={"to": "bob@example.org", "subject": "news"})
        assert (await recv(other_only))["message"]["subject"] == "to billing"
        assert (await recv(everything_received))["message"]["subject"] == "to support"
        assert (await recv(everything_received))["message"]["subject"] == "to billing"
        sent = await recv(sent_only)
        assert sent["event_type"] == "message.sent" and sent["message"]["subject"] == "news"
        assert sent["message"]["from"] == sim.inbox_email and sent["message"]["to"] == ["bob@example.org"]
        for ws in (other_only, sent_only, everything_received):  # nothing else is on the way
            for _ in range(2):
                assert await recv(ws, pings=True) == {"type": "ping"}


async def test_no_replay_for_sockets_that_were_not_there(sim, ctl):
    await inbound(ctl, subject="before")
    async with socket(sim) as ws:
        await inbound(ctl, subject="after")
        assert (await recv(ws))["message"]["subject"] == "after"


async def test_bad_frames_get_an_error_and_the_socket_lives_on(sim, ctl):
    async with socket(sim, event_types=[]) as ws:
        for bad in (
            "not json",
            "[1, 2]",
            json.dumps({"kind": "subscribe"}),
            json.dumps({"type": "dance"}),
            json.dumps({"type": "subscribe"}),
            json.dumps({"type": "subscribe", "event_types": ["message.exploded"]}),
            json.dumps({"type": "subscribe", "event_types": ["message.received"], "inbox_ids": ["nope"]}),
        ):
            await ws.send(bad)
            frame = await recv(ws)
            assert frame["type"] == "error" and frame["message"], bad
        await ws.send(json.dumps({"type": "pong"}))
        await ws.send(
            json.dumps(
                {"type": "subscribe", "event_types": ["message.received"], "inbox_ids": [], "pod_ids": ["w1"]}
            )
        )
        assert await recv(ws) == {
            "type": "subscribed",
            "event_types": ["message.received"],
            "inbox_ids": [],
            "workspace_ids": ["w1"],
        }
        created = await inbound(ctl)
        assert (await recv(ws))["message"]["message_id"] == created["message_id"]


async def test_pings_keep_coming(sim):
    async with socket(sim) as ws:
        started = time.monotonic()
        for _ in range(3):
            assert (await recv(ws, pings=True)) == {"type": "ping"}
        assert time.monotonic() - started >= PING_INTERVAL * 1.5


# ---- REST ------------------------------------------------------------------------------


async def test_messages_page_newest_first_and_filter_by_direction(sim, api, ctl):
    created = [(await inbound(ctl, subject=f"q{i}"))["message_id"] for i in range(7)]
    for i in range(2):
        await api.post(f"inboxes/{sim.inbox_id}/send", json={"to": ["x@example.org"], "subject": f"out{i}"})
    path = f"inboxes/{sim.inbox_id}/messages"

    first = (await api.get(path, params={"limit": 4})).json()
    assert first["pagination"] == {"total": 9, "limit": 4, "offset": 0}
    assert [m["subject"] for m in first["messages"]] == ["out1", "out0", "q6", "q5"]

    inbound_ids, offset = [], 0
    while True:
        page = (await api.get(path, params={"direction": "inbound", "limit": 3, "offset": offset})).json()
        assert page["pagination"]["total"] == 7
        if not page["messages"]:
            break
        inbound_ids += [m["id"] for m in page["messages"]]
        offset += len(page["messages"])
    assert inbound_ids == created[::-1]

    outbound = (await api.get(path, params={"direction": "outbound"})).json()
    assert [m["direction"] for m in outbound["messages"]] == ["outbound", "outbound"]
    assert (await api.get(path)).json()["pagination"]["limit"] == 50
    assert (await api.get(path, params={"limit": 1000})).json()["pagination"]["limit"] == 100
    for params in ({"limit": 0}, {"offset": -1}, {"limit": "many"}, {"direction": "sideways"}):
        response = await api.get(path, params=params)
        assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR", params


async def test_draft_lifecycle_and_single_send(sim, api, ctl):
    original = await inbound(ctl, subject="Refund?", plain_body="please")
    drafts = f"inboxes/{sim.inbox_id}/drafts"
    created = await api.post(drafts, json={"plainBody": "v1", "replyToMessageId": original["message_id"]})
    assert created.status_code == 201
    draft = created.json()
    assert draft["id"].startswith("drf_") and draft["inboxId"] == sim.inbox_id
    assert (draft["to"], draft["cc"], draft["bcc"], draft["subject"]) == ([], [], [], None)
    assert draft["createdAt"] == draft["updatedAt"] and draft["createdAt"].endswith("Z")
    assert (await api.get(f"{drafts}/{draft['id']}")).json() == draft
    assert (await api.get(f"drafts/{draft['id']}")).json() == draft

    await asyncio.sleep(0.01)
    patched = (
        await api.patch(f"{drafts}/{draft['id']}", json={"plainBody": "v2", "to": "ann@example.org"})
    ).json()
    assert patched["plainBody"] == "v2" and patched["to"] == ["ann@example.org"]
    assert patched["replyToMessageId"] == original["message_id"]  # omitted: unchanged
    assert patched["updatedAt"] > draft["updatedAt"] and patched["createdAt"] == draft["createdAt"]
    patched = (
        await api.patch(f"drafts/{draft['id']}", json={"cc": ["c@example.org"], "htmlBody": None})
    ).json()
    assert patched["cc"] == ["c@example.org"] and patched["plainBody"] == "v2"
    listed = (await api.get(drafts)).json()
    assert [d["id"] for d in listed["drafts"]] == [draft["id"]] and listed["pagination"]["total"] == 1

    sent = await api.post(f"{drafts}/{draft['id']}/send", json={})
    assert sent.status_code == 200
    result = sent.json()
    assert result["status"] == "sent" and result["draftId"] == draft["id"]
    assert result["threadId"] == original["thread_id"] and result["messageId"].startswith("msg_")
    message = (await api.get(f"inboxes/{sim.inbox_id}/messages/{result['messageId']}")).json()
    assert message["direction"] == "outbound" and message["inReplyTo"] == original["message_id"]
    assert message["subject"] == "Re: Refund?" and message["plainBody"] == "v2"
    assert message["from"] == sim.inbox_email and message["to"] == ["ann@example.org"]

    again = await api.post(f"{drafts}/{draft['id']}/send", json={})
    assert again.status_code == 404 and again.json()["code"] == "NOT_FOUND"
    assert (await api.get(f"drafts/{draft['id']}")).status_code == 404
    assert len((await ctl.get("/_sim/sent")).json()["sent"]) == 1

    doomed = (await api.post(drafts, json={"to": ["z@example.org"], "subject": "x"})).json()
    deleted = await api.delete(f"{drafts}/{doomed['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await api.delete(f"{drafts}/{doomed['id']}")).status_code == 404
    assert (await api.patch(f"drafts/{doomed['id']}", json={"subject": "y"})).status_code == 404


async def test_draft_validation(sim, api):
    drafts = f"inboxes/{sim.inbox_id}/drafts"
    bad_json = await api.post(drafts, content=b"{nope", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json() == {
        "error": "request body is not valid JSON",
        "code": "VALIDATION_ERROR",
    }
    assert (await api.post(drafts, json={"to": ["not an address"]})).status_code == 400
    missing = await api.post(drafts, json={"replyToMessageId": "msg_missing"})
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    empty = (await api.post(drafts, json={})).json()
    nobody = await api.post(f"{drafts}/{empty['id']}/send")
    assert nobody.status_code == 400 and nobody.json()["code"] == "VALIDATION_ERROR"
    assert (await api.get("inboxes/nope/drafts")).json()["code"] == "NOT_FOUND"


async def test_reply_threads_and_the_sent_log(sim, api, ctl):
    first = await inbound(ctl, subject="Login broken", plain_body="help")
    direct = (
        await api.post(f"inboxes/{sim.inbox_id}/send", json={"to": "ops@example.org", "subject": "FYI"})
    ).json()
    reply = await api.post(
        f"inboxes/{sim.inbox_id}/reply/{first['message_id']}", json={"plainBody": "try again"}
    )
    assert reply.status_code == 200
    replied = reply.json()
    assert (
        replied["status"] == "sent" and replied["threadId"] == first["thread_id"] and "draftId" not in replied
    )
    follow_up = await inbound(
        ctl, subject="Re: Login broken", plain_body="works", thread_id=first["thread_id"]
    )
    assert follow_up["thread_id"] == first["thread_id"]

    thread = (await api.get(f"inboxes/{sim.inbox_id}/threads/{first['thread_id']}")).json()
    assert thread["threadId"] == first["thread_id"] and thread["messageCount"] == 3
    assert [m["id"] for m in thread["messages"]] == [
        first["message_id"],
        replied["messageId"],
        follow_up["message_id"],
    ]
    assert thread["messages"][1]["inReplyTo"] == first["message_id"]
    assert thread["messages"][1]["subject"] == "Re: Login broken"
    assert thread["messages"][2]["inReplyTo"] == replied["messageId"]

    assert (await api.get(f"inboxes/{sim.inbox_id}/threads/thr_nope")).status_code == 404
    assert (
        await api.post(f"inboxes/{sim.inbox_id}/reply/msg_nope", json={"plainBody": "x"})
    ).status_code == 404
    assert (
        await ctl.post("/_sim/inbound", json={"from": "a@b.c", "thread_id": "thr_nope"})
    ).status_code == 404

    sent = (await ctl.get("/_sim/sent")).json()["sent"]
    assert [s["message_id"] for s in sent] == [direct["messageId"], replied["messageId"]]
    assert sent[1] == {
        "message_id": replied["messageId"],
        "inbox_id": sim.inbox_id,
        "to": ["Ann Lee <ann@example.org>"],
        "subject": "Re: Login broken",
        "plain_body": "try again",
        "in_reply_to": first["message_id"],
        "draft_id": None,
        "sent_at": sent[1]["sent_at"],
    }
    assert sent[0]["to"] == ["ops@example.org"] and sent[0]["in_reply_to"] is None


async def test_inboxes_and_errors_in_one_shape(sim, api):
    listed = (await api.get("inboxes")).json()["inboxes"]
    assert [(i["id"], i["email"]) for i in listed] == [(sim.inbox_id, sim.inbox_email)]
    assert (await api.get(f"inboxes/{sim.inbox_id}")).json()["email"] == sim.inbox_email
    made = await api.post("inboxes", json={"username": "sales", "displayName": "Sales"})
    assert made.status_code == 201 and made.json()["email"] == "sales@acme-help.test"
    repeat = await api.post("inboxes", json={"username": "sales"})
    assert (
        repeat.status_code == 200
        and repeat.json()["existed"] is True
        and repeat.json()["id"] == made.json()["id"]
    )
    for response, status, code in (
        (await api.get("inboxes/nope"), 404, "NOT_FOUND"),
        (await api.get("inboxes/support/messages/msg_nope"), 404, "NOT_FOUND"),
        (await api.get("no/such/thing"), 404, "NOT_FOUND"),
        (await api.post("inboxes/support/send", json={"subject": "no recipient"}), 400, "VALIDATION_ERROR"),
        (await api.post("inboxes", json={"username": "white space"}), 400, "VALIDATION_ERROR"),
    ):
        assert response.status_code == status
        assert response.json()["code"] == code and isinstance(response.json()["error"], str)


async def test_huge_and_empty_bodies(sim, api, ctl):
    huge = "x" * (10 * 1024 * 1024)
    async with socket(sim) as ws:
        big = await inbound(ctl, plain_body=huge)
        empty = await inbound(ctl, subject="", plain_body="")
        event = await recv(ws, timeout=20)
        assert event["message"]["message_id"] == big["message_id"]
        assert len(event["message"]["plain_body"]) == len(huge)
        assert (await recv(ws))["message"]["plain_body"] == ""
    fetched = (await api.get(f"inboxes/{sim.inbox_id}/messages/{big['message_id']}")).json()
    assert fetched["plainBody"] == huge
    assert (await api.get(f"inboxes/{sim.inbox_id}/messages/{empty['message_id']}")).json()["plainBody"] == ""


async def test_a_restart_on_the_same_file_loses_nothing(tmp_path: Path):
    db = tmp_path / "persist.db"
    async with running_mailsim(db, api_key="k1") as first:
        async with (
            httpx.AsyncClient(base_url=first.base_url + "/", headers={"X-API-Key": "k1"}) as api,
            httpx.AsyncClient(base_url=first.control_url) as ctl,
        ):
            question = await inbound(ctl, subject="persist me")
            kept = (
                await api.post("inboxes/support/drafts", json={"to": "a@example.org", "plainBody": "kept"})
            ).json()
            gone = (
                await api.post("inboxes/support/drafts", json={"replyToMessageId": question["message_id"]})
            ).json()
            await api.post(f"inboxes/support/drafts/{gone['id']}/send")
            before = (await api.get("inboxes/support/messages")).json()
            sent_before = (await ctl.get("/_sim/sent")).json()
    async with running_mailsim(db, api_key="k1") as second:
        assert second.base_url != first.base_url or second is not first
        async with (
            httpx.AsyncClient(base_url=second.base_url + "/", headers={"X-API-Key": "k1"}) as api,
            httpx.AsyncClient(base_url=second.control_url) as ctl,
        ):
            assert (await api.get("inboxes/support/messages")).json() == before
            assert (await api.get(f"drafts/{kept['id']}")).json() == kept
            assert (await api.get(f"drafts/{gone['id']}")).status_code == 404
            assert (await ctl.get("/_sim/sent")).json() == sent_before
            thread = (await api.get(f"inboxes/support/threads/{question['thread_id']}")).json()
            assert thread["messageCount"] == 2


# ---- faults ----------------------------------------------------------------------------


async def test_drop_sockets_cuts_connections_without_a_close_frame(sim, ctl):
    async with socket(sim) as ws:
        assert (await ctl.get("/_sim/health")).json()["sockets"] == 1
        assert (await faults(ctl, drop_sockets=True))["dropped"] == 1
        with pytest.raises(ConnectionClosedError):
            await recv(ws)
        assert ws.close_code == 1006  # no close frame: a network failure, not a goodbye
    async with socket(sim) as again:  # the service itself is fine
        created = await inbound(ctl)
        assert (await recv(again))["message"]["message_id"] == created["message_id"]


async def test_half_open_sockets_go_silent_and_lose_events(sim, ctl):
    async with socket(sim) as stale:
        await recv(stale, pings=True)
        await faults(ctl, half_open=True)
        assert (await ctl.get("/_sim/faults")).json()["half_open"] is True
        lost = await inbound(ctl, subject="lost")
        await stale.send(json.dumps({"type": "dance"}))  # not even an error comes back
        # Drain what was already on the wire before the switch, then expect silence.
        deadline = time.monotonic() + PING_INTERVAL * 2
        while time.monotonic() < deadline and not await silent_for(stale, PING_INTERVAL * 1.5):
            pass
        assert await silent_for(stale, PING_INTERVAL * 4)
        async with socket(sim) as fresh:  # a reconnect gets a healthy socket
            created = await inbound(ctl, subject="after reconnect")
            assert (await recv(fresh))["message"]["message_id"] == created["message_id"]
        await faults(ctl, half_open=False)
        frames = [await recv(stale, pings=True) for _ in range(2)]
        assert {"type": "ping"} in frames
        assert all(f.get("message", {}).get("message_id") != lost["message_id"] for f in frames)
        after = await inbound(ctl, subject="after recovery")
        assert (await recv(stale))["message"]["message_id"] == after["message_id"]


async def test_duplicate_events_share_an_event_id(sim, ctl):
    await faults(ctl, duplicate_probability=1.0)
    async with socket(sim) as ws:
        created = await inbound(ctl)
        first, second = await recv(ws), await recv(ws)
    assert first == second and first["message"]["message_id"] == created["message_id"]
    await ctl.delete("/_sim/faults")
    async with socket(sim) as ws:
        one = await inbound(ctl, subject="one")
        two = await inbound(ctl, subject="two")
        assert (await recv(ws))["message"]["message_id"] == one["message_id"]
        assert (await recv(ws))["message"]["message_id"] == two["message_id"]


async def test_rest_failures_rate_limits_and_latency(sim, api, ctl):
    await faults(ctl, rest_failure_rate=1.0, rest_failure_status=429, retry_after=7)
    limited = await api.get("me")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["code"] == "RATE_LIMITED" and limited.json()["error"]
    # The control plane and the socket are not REST calls: they keep working.
    await inbound(ctl, subject="still accepted")

    await faults(ctl, rest_failure_status=500)
    broken = await api.post(f"inboxes/{sim.inbox_id}/send", json={"to": "a@example.org", "subject": "x"})
    assert broken.status_code == 500 and broken.json()["code"] == "INTERNAL_ERROR"
    assert "Retry-After" not in broken.headers
    assert (await ctl.get("/_sim/sent")).json()["sent"] == []  # a failed call had no effect

    await faults(ctl, rest_failure_rate=0.5, seed=3)
    statuses = [(await api.get("me")).status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35 and statuses.count(200) == 40 - statuses.count(500)

    await ctl.delete("/_sim/faults")
    await faults(ctl, latency_ms=300)
    started = time.monotonic()
    assert (await api.get("me")).status_code == 200
    assert time.monotonic() - started >= 0.3
    reset = (await ctl.delete("/_sim/faults")).json()
    assert reset == (await ctl.get("/_sim/faults")).json()
    assert reset["latency_ms"] == 0 and reset["rest_failure_rate"] == 0 and reset["half_open"] is False


async def test_fault_settings_are_validated(ctl):
    for body in ({"duplicate_probability": 2}, {"rest_failure_status": 200}, {"drop_socket": True}):
        response = await ctl.post("/_sim/faults", json=body)
        assert response.status_code == 400 and response.json()["code"] == "VALIDATION_ERROR", body
    assert (await ctl.get("/_sim/health")).status_code == 200


async def test_shutdown_closes_open_sockets(tmp_path: Path):
    async with running_mailsim(tmp_path / "s.db") as running:
        ws = await connect(running.ws_url, additional_headers={"X-API-Key": running.api_key})
        await recv(ws)
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(5):
            await ws.recv()
