"""The mail client against the emulator (and a misbehaving server): errors
come out classified for Temporal's retries (as the activities map them)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from temporalio.exceptions import ApplicationError

from activities.mail_errors import (
    BAD_RESPONSE,
    CLIENT_ERROR,
    NOT_FOUND,
    RATE_LIMITED,
    SERVER_ERROR,
    TRANSPORT_ERROR,
    application_errors,
)
from tests.conftest import inbound
from triage.mail.myagentmail.client import MailClient
from triage.runtime.asgi_server import serving


@pytest.fixture
async def mail(mailsim):
    async with MailClient(mailsim.base_url, mailsim.api_key, timeout=5) as client:
        yield client


async def test_draft_lifecycle_and_single_send(mail, mailsim, control):
    created = await inbound(control, subject="Where is my order?")
    draft = await mail.create_draft(
        mailsim.inbox_id,
        to=["a@example.org"],
        subject="Re: order",
        plain_body="v1",
        reply_to_message_id=created["message_id"],
    )
    patched = await mail.update_draft(mailsim.inbox_id, draft.id, plain_body="v2")
    assert patched.plain_body == "v2" and patched.subject == "Re: order"
    sent = await mail.send_draft(mailsim.inbox_id, draft.id)
    thread = await mail.get_thread(mailsim.inbox_id, sent.thread_id)
    assert [m.direction for m in thread.messages] == ["inbound", "outbound"]
    assert thread.messages[1].in_reply_to == created["message_id"]
    with pytest.raises(ApplicationError) as again, application_errors():
        await mail.send_draft(mailsim.inbox_id, draft.id)
    assert again.value.type == NOT_FOUND and again.value.non_retryable


async def test_rate_limit_honours_retry_after(mail, mailsim, control):
    await control.post(
        "/_sim/faults", json={"rest_failure_rate": 1, "rest_failure_status": 429, "retry_after": 7}
    )
    with pytest.raises(ApplicationError) as err, application_errors():
        await mail.list_messages(mailsim.inbox_id)
    assert err.value.type == RATE_LIMITED and not err.value.non_retryable
    assert err.value.next_retry_delay == timedelta(seconds=7)


async def test_server_errors_are_retryable(mail, mailsim, control):
    await control.post("/_sim/faults", json={"rest_failure_rate": 1, "rest_failure_status": 500})
    with pytest.raises(ApplicationError) as err, application_errors():
        await mail.get_inbox(mailsim.inbox_id)
    assert err.value.type == SERVER_ERROR and not err.value.non_retryable


async def test_permanent_client_errors_are_not_retried(mailsim):
    async with MailClient(mailsim.base_url, "wrong-key") as wrong:
        with pytest.raises(ApplicationError) as err, application_errors():
            await wrong.get_inbox(mailsim.inbox_id)
    assert err.value.type == CLIENT_ERROR and err.value.non_retryable
    assert "wrong-key" not in str(err.value)


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, "<html>proxy error</html>"), (200, '{"messages": "nope"}'), (200, ""), (502, "Bad gateway")],
)
async def test_garbled_answers_are_retryable_errors(status, body):
    async def garbage(_):
        return PlainTextResponse(body, status_code=status, media_type="application/json")

    app = Starlette(routes=[Route("/v1/inboxes/support/messages", garbage)])
    async with serving(app) as url, MailClient(f"{url}/v1", "k") as client:
        with pytest.raises(ApplicationError) as err, application_errors():
            await client.list_messages("support")
    assert err.value.type in (BAD_RESPONSE, SERVER_ERROR) and not err.value.non_retryable


async def test_unreachable_server_is_a_retryable_transport_error():
    async with MailClient("http://127.0.0.1:9/v1", "k", timeout=2) as client:
        with pytest.raises(ApplicationError) as err, application_errors():
            await client.get_inbox("support")
    assert not err.value.non_retryable


# ---- whatever the server answers --------------------------------------------------------

_answer: dict = {}


async def _scripted(_request):
    return Response(_answer["body"], status_code=_answer["status"], headers=_answer["headers"])


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def scripted_server():
    app = Starlette(routes=[Route("/v1/inboxes/support/{rest:path}", _scripted, methods=["GET", "POST"])])
    async with serving(app) as url, MailClient(f"{url}/v1", "k", timeout=5) as client:
        yield client


json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
).map(lambda value: json.dumps(value).encode())
# Shaped like real answers, so that valid and nearly valid pages are common.
page_bodies = st.fixed_dictionaries(
    {"messages": st.lists(st.fixed_dictionaries({"message_id": st.text(max_size=8)}), max_size=2)},
    optional={"pagination": st.dictionaries(st.sampled_from(["limit", "offset", "total"]), st.integers())},
).map(lambda value: json.dumps(value).encode())


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    status=st.sampled_from([200, 201, 204, 302, 400, 401, 404, 408, 409, 429, 500, 503])
    | st.integers(100, 599),
    body=st.binary(max_size=120) | json_bodies | page_bodies,
    retry_after=st.none()
    | st.sampled_from(["1", "-5", "nan", "inf", "1e400", "Wed, 21 Oct 2026 07:28:00 GMT"])
    | st.text(max_size=8),
    call=st.sampled_from(["list", "send"]),
)
@example(status=429, body=b"{}", retry_after="nan", call="list")
@example(status=429, body=b"{}", retry_after="inf", call="list")
@example(status=429, body=b"{}", retry_after="1e400", call="send")
@example(status=302, body=b'{"messages": []}', retry_after=None, call="list")
async def test_any_answer_is_a_model_or_a_classified_error(scripted_server, status, body, retry_after, call):
    headers = {"Content-Type": "application/json"}
    if retry_after is not None and retry_after.isprintable() and retry_after.isascii():
        headers["Retry-After"] = retry_after
    _answer.update(status=status, body=body, headers=headers)
    try:
        with application_errors():
            if call == "list":
                await scripted_server.list_messages("support")
            else:
                await scripted_server.send_draft("support", "d1")
    except ApplicationError as err:
        assert err.type in (
            BAD_RESPONSE,
            SERVER_ERROR,
            RATE_LIMITED,
            NOT_FOUND,
            CLIENT_ERROR,
            TRANSPORT_ERROR,
        )
        delay = err.next_retry_delay
        assert delay is None or timedelta(0) <= delay <= timedelta(minutes=10)
    else:
        assert 200 <= status < 300
