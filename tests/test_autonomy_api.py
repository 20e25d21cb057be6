"""Earned autonomy through the reviewer API and the dashboard's forms, against the real stack.

Real dev server, real emulator, an in-process worker (the offline model, so the
demo's password question is answered from the knowledge base and the policy
would send it), and the app on a real socket called with httpx.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from markupsafe import escape
from pydantic import SecretStr

from tests.conftest import make_settings, running_worker, sent_mail
from tests.helpers import ALICE, REVIEWERS, api, csrf_token, start_for, state_of
from triage.domain.models import Category, TriageResult
from triage.domain.policy import WOULD_HAVE_SENT
from triage.runtime.config import Settings

BOB = {"Authorization": "Bearer tok-b"}
# The demo's routine question: with the seed's settings the policy sends it alone.
PASSWORD = {
    "subject": "How do I reset my password?",
    "plain_body": "Hi there,\n\nI forgot my password and can't log in to Acme Help. How do I reset it?\n\nThanks,\nMaya",
}
ARTICLE = "article:password-reset"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">'


@pytest.fixture
def api_settings(mailsim, task_queue) -> Settings:
    return make_settings(mailsim, task_queue, reviewers=REVIEWERS)


async def settled(http: httpx.AsyncClient, workflow_id: str, timeout: float = 30.0) -> dict:
    """The review's state once the policy decided: waiting for a human, or finished."""
    async with asyncio.timeout(timeout):
        while True:
            state = await state_of(http, workflow_id)
            if state["status"] not in ("received", "classifying", "drafting"):
                return state
            await asyncio.sleep(0.1)


async def scope_row(http: httpx.AsyncClient, scope: str) -> dict:
    response = await http.get("/api/autonomy", headers=ALICE)
    assert response.status_code == 200, response.text
    return next(row for row in response.json() if row["scope"] == scope)


async def row_when(http: httpx.AsyncClient, scope: str, ready, timeout: float = 20.0) -> dict:
    """A verdict arrives by Signal a moment after its workflow closes: poll until ``ready(row)``."""
    async with asyncio.timeout(timeout):
        while not ready(row := await scope_row(http, scope)):
            await asyncio.sleep(0.1)
    return row


async def password_question(client, settings: Settings, control, n: int) -> str:
    # A fresh sender each: the automatic-reply limit per sender is not what these tests are about.
    handle = await start_for(
        client, settings, control, **{"from": f"Customer {n} <customer{n}@example.org>"}, **PASSWORD
    )
    return handle.id


async def sign_in(http: httpx.AsyncClient, token: str = "tok-a") -> None:
    login = await http.get("/login")
    signed_in = await http.post("/login", data={"token": token, "csrf_token": csrf_token(login.text)})
    assert signed_in.status_code == 303, signed_in.text


async def test_rows_set_a_mode_and_its_record(dev_env, api_settings):
    async with running_worker(dev_env.client, api_settings), api(api_settings, dev_env.client) as http:
        assert (await http.get("/api/autonomy")).status_code == 401
        assert (await http.get("/api/autonomy", headers={"Authorization": "Bearer nope"})).status_code == 401

        listed = (await http.get("/api/autonomy", headers=ALICE)).json()
        assert [row["scope"] for row in listed] == [f"category:{c.value}" for c in Category]
        assert {(row["mode"], row["source"]) for row in listed} == {
            ("auto", "default")
        }  # the seed's behaviour
        assert all(row["shadow_verdicts"] == 0 and row["needed"] == 30 for row in listed)

        # Bob is a reviewer: changing a mode is an admin's right, refused with the reason.
        refused = await http.post("/api/autonomy/modes", headers=BOB, json={"scope": ARTICLE, "mode": "auto"})
        assert refused.status_code == 403, refused.text
        assert refused.json() == {
            "detail": "changing an autonomy mode is for admins; bob is a reviewer",
            "kind": "Forbidden",
        }
        set_ = await http.post(
            "/api/autonomy/modes",
            headers=ALICE,
            json={"scope": ARTICLE, "mode": "shadow", "why": "first weeks"},
        )
        assert set_.status_code == 200, set_.text
        (change,) = set_.json()
        assert (
            change["scope"],
            change["old"],
            change["new"],
            change["source"],
            change["by"],
            change["why"],
        ) == (
            ARTICLE,
            "auto",
            "shadow",
            "set",
            "alice",
            "first weeks",
        )
        row = await scope_row(http, ARTICLE)
        assert (row["kind"], row["name"], row["mode"], row["source"]) == (
            "article",
            "password-reset",
            "shadow",
            "set",
        )

        # A category, then the same mode again: no change, an empty answer.
        set_ = await http.post(
            "/api/autonomy/modes", headers=ALICE, json={"scope": "category:faq", "mode": "review"}
        )
        assert [(c["scope"], c["new"], c["by"]) for c in set_.json()] == [("category:faq", "review", "alice")]
        again = await http.post(
            "/api/autonomy/modes", headers=ALICE, json={"scope": "category:faq", "mode": "review"}
        )
        assert again.status_code == 200 and again.json() == []
        assert ((await scope_row(http, "category:faq"))["mode"]) == "review"

        changes = (await http.get("/api/autonomy/changes", headers=ALICE)).json()
        assert [(c["scope"], c["by"]) for c in changes] == [
            ("category:faq", "alice"),
            (ARTICLE, "alice"),
        ]  # newest first

        for bad in (
            {"scope": "category:spam", "mode": "auto"},  # no such category
            {"scope": "password-reset", "mode": "auto"},  # not a scope
            {"scope": "article:a b", "mode": "auto"},
            {"scope": ARTICLE, "mode": "sometimes"},
            {"scope": ARTICLE, "mode": "auto", "by": "mallory"},  # the reviewer is the token's
            {"scope": ARTICLE, "mode": "auto", "why": "x" * 2_001},
            {"mode": "auto"},
        ):
            refused = await http.post("/api/autonomy/modes", headers=ALICE, json=bad)
            assert refused.status_code == 422, (bad, refused.text)
        assert len((await http.get("/api/autonomy/changes", headers=ALICE)).json()) == 2  # nothing applied

        spec = (await http.get("/openapi.json")).json()
        assert {
            "/api/autonomy",
            "/api/autonomy/modes",
            "/api/autonomy/changes",
            "/api/reviews/{workflow_id}/flag",
        } <= set(spec["paths"])
        flag_409 = spec["paths"]["/api/reviews/{workflow_id}/flag"]["post"]["responses"]["409"]
        assert flag_409["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
        assert "NotFlaggable" in spec["components"]["schemas"]["ApiErrorKind"]["enum"]
        assert "category" in spec["components"]["schemas"]["ApproveRequest"]["properties"]


async def test_flag_an_automatic_reply_then_the_next_one_waits_and_a_correction(
    dev_env, api_settings, control, offline
):
    client = dev_env.client
    async with running_worker(client, api_settings, offline), api(api_settings, dev_env.client) as http:
        sent_alone = await password_question(client, api_settings, control, 1)
        state = await settled(http, sent_alone)
        assert state["status"] == "auto_sent", state["policy_decision"]
        assert (await row_when(http, ARTICLE, lambda r: r["window"]["auto_sent"] == 1))["mode"] == "auto"

        missing = await http.post(
            "/api/reviews/triage-no-such-message/flag", headers=ALICE, json={"why": "x"}
        )
        assert missing.status_code == 404, missing.text
        assert (await http.post(f"/api/reviews/{sent_alone}/flag", json={})).status_code == 401

        flagged = await http.post(
            f"/api/reviews/{sent_alone}/flag", headers=BOB, json={"why": "she had already tried the link"}
        )
        assert flagged.status_code == 200, flagged.text
        (demotion,) = flagged.json()
        assert (demotion["scope"], demotion["old"], demotion["new"], demotion["source"], demotion["by"]) == (
            ARTICLE,
            "auto",
            "shadow",
            "demoted",
            "bob",
        )
        assert demotion["workflow_id"] == sent_alone and "she had already tried the link" in demotion["why"]
        again = await http.post(f"/api/reviews/{sent_alone}/flag", headers=ALICE)
        assert again.status_code == 200 and again.json() == []  # one flag per reply

        row = await scope_row(http, ARTICLE)
        assert (row["mode"], row["source"]) == ("shadow", "demoted")
        assert row["last_disagreement"]["workflow_id"] == sent_alone
        assert row["last_disagreement"]["verdict"] == "flagged" and row["last_disagreement"]["by"] == "bob"

        # The next password question waits for a human, marked as what would have gone out.
        held = await password_question(client, api_settings, control, 2)
        state = await settled(http, held)
        assert state["status"] == "awaiting_review"
        decision = state["policy_decision"]
        assert decision["would_auto_send"] and not decision["auto_send"]
        assert (decision["mode"]["mode"], decision["mode"]["scope"]) == ("shadow", ARTICLE)
        assert f"shadow mode for {ARTICLE}: {WOULD_HAVE_SENT}" in decision["reasons"]

        not_sent = await http.post(f"/api/reviews/{held}/flag", headers=ALICE, json={"why": "x"})
        assert not_sent.status_code == 409 and not_sent.json()["kind"] == "NotFlaggable", not_sent.text
        assert "open" in not_sent.json()["detail"]

        # Approve it, correcting the category: the correction is recorded with the decision.
        assert state["classification"]["category"] != "billing"
        unknown = await http.post(f"/api/reviews/{held}/approve", headers=ALICE, json={"category": "spam"})
        assert unknown.status_code == 422
        approved = await http.post(
            f"/api/reviews/{held}/approve",
            headers=ALICE,
            json={"revision": state["revision"], "category": "billing"},
        )
        assert approved.status_code == 200 and approved.json()["status"] == "sent", approved.text
        state = await state_of(http, held)
        assert state["corrected_category"] == "billing"
        assert state["decisions"][-1]["decision"]["category"] == "billing"
        result = await client.get_workflow_handle(held, result_type=TriageResult).result()
        assert result.correction is not None and result.correction.corrected is Category.BILLING
        # A reply a human approved was not sent automatically: nothing to flag.
        refused = await http.post(f"/api/reviews/{held}/flag", headers=ALICE, json={"why": "x"})
        assert refused.status_code == 409 and refused.json()["kind"] == "NotFlaggable"
        assert "not sent automatically" in refused.json()["detail"]
        # The recategorised approval counts as a disagreement with the policy.
        row = await row_when(http, ARTICLE, lambda r: r["last_disagreement"]["workflow_id"] == held)
        assert row["last_disagreement"]["verdict"] == "recategorised"
        assert len(await sent_mail(control)) == 2


async def test_a_decision_that_keeps_the_category_is_no_correction(dev_env, api_settings, control, offline):
    client = dev_env.client
    async with running_worker(client, api_settings, offline), api(api_settings, dev_env.client) as http:
        await http.post("/api/autonomy/modes", headers=ALICE, json={"scope": ARTICLE, "mode": "review"})
        held = await password_question(client, api_settings, control, 3)
        state = await settled(http, held)
        assert state["status"] == "awaiting_review"
        same = state["classification"]["category"]
        rejected = await http.post(
            f"/api/reviews/{held}/reject",
            headers=ALICE,
            json={"reason": "answered by phone", "category": same},
        )
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
        assert (await state_of(http, held))["corrected_category"] is None


async def test_dashboard_autonomy_page_forms_and_escaping(dev_env, mailsim, task_queue, control, offline):
    # A reviewer's name comes from the configuration, a reason from a person: both are escaped.
    reviewers = SecretStr(f"alice:tok-a:admin,{HOSTILE}:tok-h:admin,bob:tok-b")
    settings = make_settings(mailsim, task_queue, reviewers=reviewers)
    client = dev_env.client
    async with running_worker(client, settings, offline), api(settings, client) as http:
        assert (await http.get("/autonomy")).headers["location"] == "/login?next=%2Fautonomy"
        await http.post(
            "/api/autonomy/modes",
            headers={"Authorization": "Bearer tok-h"},
            json={"scope": "category:general", "mode": "shadow", "why": HOSTILE},
        )
        await sign_in(http)
        page = await http.get("/autonomy")
        assert page.status_code == 200, page.text
        assert HOSTILE not in page.text and str(escape(HOSTILE)) in page.text
        assert 'href="/autonomy" aria-current="page"' in page.text
        assert 'data-scope="category:general"' in page.text

        csrf = csrf_token(page.text)
        form = {"scope": ARTICLE, "mode": "shadow", "why": "watch it first"}
        assert (await http.post("/autonomy/modes", data=form)).status_code == 403  # no CSRF token
        assert (await http.post("/autonomy/modes", data={**form, "csrf_token": "forged"})).status_code == 403
        changed = await http.post("/autonomy/modes", data={**form, "csrf_token": csrf})
        assert changed.status_code == 303 and changed.headers["location"] == "/autonomy"
        page = await http.get("/autonomy")
        assert f"{ARTICLE}: auto -&gt; shadow (set)." in page.text
        row = await scope_row(http, ARTICLE)
        assert (row["mode"], row["source"]) == ("shadow", "set")
        bad = await http.post(
            "/autonomy/modes", data={"scope": "category:spam", "mode": "auto", "csrf_token": csrf}
        )
        assert bad.status_code == 303
        assert "Mode not changed" in (await http.get("/autonomy")).text

        # Shadow now holds the password question: the review page says what would have happened.
        held = await password_question(client, settings, control, 4)
        await settled(http, held)
        review = await http.get(f"/reviews/{held}")
        assert 'data-testid="would-have-sent"' in review.text and WOULD_HAVE_SENT in review.text
        assert 'data-testid="flag"' not in review.text  # an open review is no automatic reply
        approved = await http.post(
            f"/reviews/{held}/approve",
            data={"csrf_token": csrf, "revision": "1", "category": "billing"},
        )
        assert approved.status_code == 303, approved.text
        assert (await state_of(http, held))["corrected_category"] == "billing"
        refused = await http.post(f"/reviews/{held}/flag", data={"csrf_token": csrf, "why": "x"})
        assert refused.status_code == 303
        assert "Not flagged" in (await http.get(f"/reviews/{held}")).text

        # Back to auto by hand; the next one goes out alone and can be flagged from its page.
        await http.post("/autonomy/modes", data={"scope": ARTICLE, "mode": "auto", "csrf_token": csrf})
        sent_alone = await password_question(client, settings, control, 5)
        assert (await settled(http, sent_alone))["status"] == "auto_sent"
        review = await http.get(f"/reviews/{sent_alone}")
        assert 'data-testid="flag"' in review.text and 'data-testid="would-have-sent"' not in review.text
        assert (await http.post(f"/reviews/{sent_alone}/flag", data={"why": "wrong"})).status_code == 403
        flagged = await http.post(f"/reviews/{sent_alone}/flag", data={"csrf_token": csrf, "why": "wrong"})
        assert flagged.status_code == 303 and flagged.headers["location"] == f"/reviews/{sent_alone}"
        page = await http.get(f"/reviews/{sent_alone}")
        assert f"Flagged. {ARTICLE}: auto -&gt; shadow (demoted)." in page.text
        autonomy = await http.get("/autonomy")
        assert f'href="/reviews/{sent_alone}"' in autonomy.text  # the last disagreement links to it
