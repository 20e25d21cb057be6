"""Roles (issue 26, point 1): every state-changing route, by role, against the real stack.

Admins alone change autonomy modes; reviewers decide reviews and flag replies.
A refusal is 403 with the reason, and the dashboard shows only what the role
may do. The table below is the role table of the issue's closing note: route,
then the status an admin, a reviewer and a caller without credentials get.
A decision on a review that does not exist answers 404: the role was let
through and the gateway looked the review up.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from starter.api import create_app
from starter.api.auth import token_problems
from tests.cli_in_process import run_triage
from tests.conftest import make_settings, running_worker
from tests.helpers import REVIEWERS, api, csrf_token
from triage.domain.models import Role
from triage.runtime.asgi_server import serving
from triage.runtime.config import Settings

ADMIN = {"Authorization": "Bearer tok-a"}
REVIEWER = {"Authorization": "Bearer tok-b"}
NOBODY: dict[str, str] = {}
MISSING = "triage-no-such-review"
MODE = {"scope": "article:password-reset", "mode": "shadow", "why": "role table"}

# method, path, JSON body -> (admin, reviewer, nobody)
API_TABLE = [
    ("PATCH", f"/api/reviews/{MISSING}/draft", {"body": "x"}, (404, 404, 401)),
    ("POST", f"/api/reviews/{MISSING}/approve", {}, (404, 404, 401)),
    ("POST", f"/api/reviews/{MISSING}/reject", {"reason": "x"}, (404, 404, 401)),
    ("POST", f"/api/reviews/{MISSING}/redraft", {"instructions": "x"}, (404, 404, 401)),
    ("POST", f"/api/reviews/{MISSING}/flag", {"why": "x"}, (404, 404, 401)),
    ("POST", "/api/autonomy/modes", MODE, (200, 403, 401)),
    ("POST", "/api/retraining/runs", {"measure_only": True, "why": "role table"}, (202, 403, 401)),
    ("PUT", "/api/retraining/schedule", {"cron": "0 3 * * *", "why": "nightly"}, (200, 403, 401)),
    ("DELETE", "/api/retraining/schedule", None, (204, 403, 401)),
    ("DELETE", "/api/sessions/0123456789abcdef", None, (404, 404, 401)),
    ("DELETE", "/api/sessions", None, (200, 200, 401)),
]
# path, form (the CSRF token added) -> (admin, reviewer); without a session every one goes to /login.
DASHBOARD_TABLE = [
    (f"/reviews/{MISSING}/approve", {"revision": "1"}, (303, 303)),
    (f"/reviews/{MISSING}/reject", {"revision": "1", "reason": "x"}, (303, 303)),
    (f"/reviews/{MISSING}/redraft", {"revision": "1", "instructions": "x"}, (303, 303)),
    (f"/reviews/{MISSING}/edit", {"revision": "1", "body": "x"}, (303, 303)),
    (f"/reviews/{MISSING}/flag", {"why": "x"}, (404, 404)),
    ("/autonomy/modes", MODE, (303, 403)),
    ("/sessions/revoke", {}, (303, 303)),
    ("/logout", {}, (303, 303)),
]


@pytest.fixture
def role_settings(mailsim, task_queue) -> Settings:
    return make_settings(mailsim, task_queue, reviewers=REVIEWERS)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ("alice:" + "a" * 30, [("alice", Role.REVIEWER)]),  # today's form stays a reviewer
        ("alice:" + "a" * 30 + ":admin", [("alice", Role.ADMIN)]),
        (
            "alice:" + "a" * 30 + ":reviewer, bob:" + "b" * 30 + ":admin",
            [("alice", Role.REVIEWER), ("bob", Role.ADMIN)],
        ),
        ("carol:" + "c" * 20 + ":" + "d" * 20, [("carol", Role.REVIEWER)]),  # a colon inside a token
    ],
)
def test_reviewer_entries_carry_a_role(entries, expected):
    settings = Settings(reviewers=SecretStr(entries))
    assert [(e.name, e.role) for e in settings.reviewer_entries()] == expected
    assert token_problems(settings) == []


def test_an_unknown_role_stops_the_start_and_names_the_roles():
    problems = token_problems(Settings(reviewers=SecretStr("alice:" + "a" * 30 + ":owner")))
    assert problems == ["'alice' has the role 'owner'; roles: admin, reviewer"]


async def test_every_state_changing_api_route_by_role(dev_env, role_settings):
    async with running_worker(dev_env.client, role_settings), api(role_settings, dev_env.client) as http:
        seen = []
        for method, path, body, expected in API_TABLE:
            for headers, want in zip((ADMIN, REVIEWER, NOBODY), expected, strict=True):
                response = await http.request(method, path, json=body, headers=headers)
                seen.append((method, path, response.status_code))
                assert response.status_code == want, (method, path, headers, response.text)
                if want == 403:
                    assert response.json()["kind"] == "Forbidden"
                    assert "is for admins; bob is a reviewer" in response.json()["detail"]
                if method == "POST" and path == "/api/retraining/runs" and want == 202:
                    retrain_id = response.json()["workflow_id"]
        changes = (await http.get("/api/autonomy/changes", headers=REVIEWER)).json()
        # Only the admin's changes were applied, recorded with who and why.
        assert [(c["by"], c["why"]) for c in changes] == [("alice", "role table")]
        retrain = dev_env.client.get_workflow_handle(retrain_id)
        history = await retrain.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        request = json.loads(started.input.payloads[0].data)
        assert (request["requested_by"], request["why"], request["promote"]) == ("alice", "role table", False)


async def _signed_in(http, token: str) -> str:
    login = await http.get("/login")
    signed_in = await http.post("/login", data={"token": token, "csrf_token": csrf_token(login.text)})
    assert signed_in.status_code == 303, signed_in.text
    return csrf_token((await http.get("/sessions")).text)


async def test_every_state_changing_dashboard_route_by_role(dev_env, role_settings):
    async with running_worker(dev_env.client, role_settings):
        for token, column in (("tok-a", 0), ("tok-b", 1)):
            for path, form, expected in DASHBOARD_TABLE:
                async with api(role_settings, dev_env.client) as http:
                    anonymous = await http.post(path, data=form)
                    if path != "/logout":
                        assert anonymous.status_code in (303, 403), (path, anonymous.text)
                        assert anonymous.status_code == 403 or anonymous.headers["location"].startswith(
                            "/login"
                        )
                    csrf = await _signed_in(http, token)
                    response = await http.post(path, data={**form, "csrf_token": csrf})
                    assert response.status_code == expected[column], (token, path, response.text)
                    if response.status_code == 403:
                        assert "changing an autonomy mode is for admins; bob is a reviewer" in response.text


async def test_the_dashboard_shows_a_reviewer_no_mode_forms(dev_env, role_settings):
    async with running_worker(dev_env.client, role_settings), api(role_settings, dev_env.client) as http:
        await _signed_in(http, "tok-b")
        page = await http.get("/autonomy")
        assert page.status_code == 200
        assert 'action="/autonomy/modes"' not in page.text and 'data-testid="admins-set-modes"' in page.text
        assert 'data-testid="role"' not in page.text
    async with api(role_settings, dev_env.client) as http:
        await _signed_in(http, "tok-a")
        page = await http.get("/autonomy")
        assert 'action="/autonomy/modes"' in page.text and 'data-testid="admins-set-modes"' not in page.text
        assert 'data-testid="role">admin<' in page.text


async def test_a_role_change_takes_effect_on_open_sessions(dev_env, role_settings):
    async with running_worker(dev_env.client, role_settings), api(role_settings, dev_env.client) as http:
        csrf = await _signed_in(http, "tok-a")
        assert (await http.post("/autonomy/modes", data={**MODE, "csrf_token": csrf})).status_code == 303
        # Alice's entry loses its role: her open session is a reviewer's from the next request.
        role_settings.reviewers = SecretStr("alice:tok-a,bob:tok-b")  # the app reads it on every request
        assert (await http.post("/autonomy/modes", data={**MODE, "csrf_token": csrf})).status_code == 403


async def _cli(*args: str, token: str) -> tuple[int, str]:
    """A CLI command run in this process (``tests/cli_in_process.py``), off the loop that serves the API."""
    env = {**os.environ, "TRIAGE_API_TOKEN": token}
    env.pop("TRIAGE_API_URL", None)
    done = await asyncio.to_thread(run_triage, args, env, Path.cwd())
    return done.returncode, done.stdout + done.stderr


async def test_the_cli_over_the_api_is_held_to_the_role(dev_env, role_settings):
    async with (
        running_worker(dev_env.client, role_settings),
        serving(create_app(role_settings, dev_env.client)) as base,
    ):
        mode = ("autonomy", "set", "article:password-reset", "shadow", "--why", "from the CLI")
        # The reviewer's refusals for two commands, then the admin's mode change and schedule
        # (the API table covers the rest).
        for command in (mode, ("retrain", "--measure-only", "--why", "from the CLI")):
            code, output = await _cli(*command, "--api", base, token="tok-b")
            assert code == 1, (command, output)
            assert "not allowed (403 Forbidden)" in output and "is for admins; bob is a reviewer" in output, (
                output
            )
        for command in (mode, ("schedule", "create", "--cron", "0 4 * * *"), ("schedule", "delete")):
            code, output = await _cli(*command, "--api", base, token="tok-a")
            assert code == 0, (command, output)
        changes = await _changes(base)
        assert [(c["by"], c["why"]) for c in changes] == [("alice", "from the CLI")]


async def _changes(base: str) -> list[dict]:
    async with httpx.AsyncClient(base_url=base) as http:
        return (await http.get("/api/autonomy/changes", headers=REVIEWER)).json()
