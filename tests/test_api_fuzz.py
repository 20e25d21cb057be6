"""Property-based tests of the reviewer API's request bodies and the login form.

Whatever a client sends (wrong types, huge or odd strings, nested junk,
missing or extra fields, bytes that are not JSON at all), the API answers
with a 4xx and a JSON error, never a 5xx or a traceback, and an open review
only changes on a valid decision. Bodies the API accepts are sent for a stale
revision, so the workflow itself must refuse them: the review stays open for
every example and each example costs at most one Update round trip.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from starter.api import create_app
from starter.api.app import MAX_BODY_BYTES
from starter.api.auth import LoginThrottle
from starter.api.routes import ApproveRequest, EditRequest, RedraftRequest, RejectRequest
from tests.conftest import running_worker
from tests.helpers import ALICE, REVIEWERS, api, csrf_token, start_for, state_of, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import TriageStatus
from triage.runtime.asgi_server import free_port, serving
from triage.runtime.config import Settings

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # The fixtures (a review, a worker, the app) are meant to live across the examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# endpoint name -> (method, path under the review, the body model the route declares)
DECISIONS: dict[str, tuple[str, str, type[BaseModel]]] = {
    "approve": ("POST", "/approve", ApproveRequest),
    "reject": ("POST", "/reject", RejectRequest),
    "redraft": ("POST", "/redraft", RedraftRequest),
    "draft": ("PATCH", "/draft", EditRequest),
}
FIELDS = ("body", "revision", "reason", "instructions", "reviewer", "action")
STALE_REVISION = 1_000  # the review is at revision 1

# ---- strategies -----------------------------------------------------------------------

# Strings around every limit the API and the workflow declare, and the odd ones,
# lone surrogates included (JSON carries them, UTF-8 cannot encode them).
edge_strings = st.one_of(
    st.sampled_from(["", " ", "\n\t ", "\x00", "é", "👍🏽", "\u202e", "null", "1", "\ud800", "\udfff"]),
    st.builds(
        lambda char, length: char * length,
        st.sampled_from(["x", "é", "👍", " "]),
        st.sampled_from([4_999, 5_000, 5_001, 99_999, 100_000, 100_001, 400_000]),
    ),
)
strings = st.one_of(st.text(max_size=40), edge_strings)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2, 2**31, 2**63, 2**70]),
    st.floats(),  # NaN and ±Infinity too: json.dumps writes them, strict parsers refuse them
    strings,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner, max_size=4),
    max_leaves=12,
)
# Objects shaped like the real bodies, so valid and nearly valid ones are common.
shaped_bodies = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), json_values, max_size=4)
payloads = st.one_of(
    (shaped_bodies | json_values).map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=64),  # not JSON, not even UTF-8
)

# ---- fixtures and helpers ---------------------------------------------------------------


@dataclass
class OpenReview:
    http: httpx.AsyncClient
    workflow_id: str


@pytest_asyncio.fixture(loop_scope="session")
async def open_review(dev_env, settings, control) -> AsyncIterator[OpenReview]:
    """A review awaiting a decision, a worker to answer for it and the API in front of it."""
    api_settings = settings.model_copy(update={"reviewers": REVIEWERS})
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        handle = await start_for(dev_env.client, api_settings, control, subject=subject("billing", 0.9))
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        yield OpenReview(http, handle.id)
        await handle.terminate("fuzzing done")


@pytest_asyncio.fixture(loop_scope="session")
async def bare_app(dev_env) -> AsyncIterator[httpx.AsyncClient]:
    """The app with no worker behind it: only a valid sign-in reaches Temporal (its session)."""
    # A task queue nothing polls: should a request get further, it reaches no workflow.
    nowhere = Settings(reviewers=REVIEWERS, temporal_task_queue=f"fuzz-{free_port()}")
    # Hundreds of wrong tokens from one client: throttling (tested in test_security_sessions)
    # would answer 429 long before the examples run out.
    app = create_app(nowhere, dev_env.client, login_throttle=LoginThrottle(free=10**9))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        yield http


def accepted(model: type[BaseModel], payload: bytes) -> bool:
    """Whether the route's body model takes ``payload``, as FastAPI reads it."""
    if not payload:
        return model is ApproveRequest  # no body: approve the current draft
    try:
        body = json.loads(payload)
    except ValueError:
        return False
    if body is None:
        return model is ApproveRequest
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


def for_stale_revision(payload: bytes) -> bytes:
    body = json.loads(payload) if payload else None
    return json.dumps({**(body or {}), "revision": STALE_REVISION}).encode()


def assert_json_error(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    assert "detail" in response.json()


def decision_view(state: dict) -> tuple:
    """What a decision would change."""
    return state["status"], state["revision"], state["draft_body"], state["decisions"]


# ---- properties -------------------------------------------------------------------------


@FUZZ
@given(endpoint=st.sampled_from(sorted(DECISIONS)), payload=payloads)
async def test_decision_bodies_get_a_json_4xx_and_leave_the_review_alone(open_review, endpoint, payload):
    method, suffix, model = DECISIONS[endpoint]
    before = decision_view(await state_of(open_review.http, open_review.workflow_id))
    valid = accepted(model, payload)
    event("valid body, stale revision" if valid else "invalid body")
    try:
        response = await open_review.http.request(
            method,
            f"/api/reviews/{open_review.workflow_id}{suffix}",
            content=for_stale_revision(payload) if valid else payload,
            headers={**ALICE, "Content-Type": "application/json"},
        )
    except httpx.TransportError:
        # Past the body limit the API answers 413 at once and closes the connection;
        # a client still writing the body may see the reset instead of the answer.
        assert len(payload) > MAX_BODY_BYTES
        response = None
    if response is not None:
        # Invalid: refused by the API (413 past the body limit, which no valid body reaches).
        # Valid but stale: refused by the workflow (409).
        assert_json_error(response, {409} if valid else {400, 413, 422})
        if response.status_code == 413:
            assert len(payload) > MAX_BODY_BYTES
        if valid:
            assert response.json()["kind"] == "StaleRevision"
    assert decision_view(await state_of(open_review.http, open_review.workflow_id)) == before


# A form is UTF-8 on the wire: a lone surrogate cannot even be sent.
form_text = (st.text(max_size=40) | edge_strings).filter(
    lambda text: not any("\ud800" <= c <= "\udfff" for c in text)
)


@FUZZ
@given(
    token=st.sampled_from(["tok-a", " tok-b ", "tok-", ""]) | form_text,
    csrf=st.sampled_from(["session", "forged", "missing"]),
    next_path=st.none()
    | st.sampled_from(["/", "//evil.example/x", "/\\evil.example", "https://evil.example", "javascript:x"])
    | form_text,
    extra=st.dictionaries(st.text(min_size=1, max_size=8), form_text, max_size=3),
)
async def test_login_form_never_errors_and_only_a_valid_token_signs_in(
    bare_app, token, csrf, next_path, extra
):
    bare_app.cookies.clear()  # every example is a new visitor
    form = {**extra, "token": token}
    if csrf != "missing":
        session_token = csrf_token((await bare_app.get("/login")).text)
        form["csrf_token"] = session_token if csrf == "session" else "forged"
    if next_path is not None:
        form["next"] = next_path

    try:
        response = await bare_app.post("/login", data=form)
    except httpx.TransportError:
        # Over the body limit: 413 at once and the connection closes under the writer.
        assert len(urlencode(form).encode()) > MAX_BODY_BYTES
        return

    assert response.status_code < 500 and "Traceback" not in response.text
    signs_in = csrf == "session" and token.strip() in {"tok-a", "tok-b"}
    # 400: a form over the parser's size limit is refused whole, valid token or not;
    # 413: over the app's body limit, before anything parses it.
    allowed = {303, 400, 413} if signs_in else {400, 401, 403, 413}
    assert response.status_code in allowed, (response.status_code, token, csrf)
    if response.status_code == 303:
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location


@FUZZ
@given(
    payload=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "text/plain",
        ]
    ),
)
async def test_login_form_survives_raw_bytes(bare_app, payload, content_type):
    bare_app.cookies.clear()
    response = await bare_app.post("/login", content=payload, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500 and "Traceback" not in response.text


@pytest.mark.parametrize(
    "payload", [b'{"\\ud800": null}', b'{"body": "\\udfff"}', b'{"body": NaN}', b"[Infinity]"]
)
async def test_unencodable_input_gets_a_json_422(bare_app, payload):
    response = await bare_app.post(
        "/api/reviews/triage-any/approve",
        content=payload,
        headers={**ALICE, "Content-Type": "application/json"},
    )
    assert_json_error(response, {422})
