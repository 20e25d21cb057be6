"""Single sign-on (issue 26, point 2) against a real OpenID provider started here.

The provider is panva's ``oidc-provider`` on node (``tests/oidc.py``), one per
module. The app signs people in with the authorization code flow and PKCE
through Authlib; ID tokens the provider really issued (to another client, a
second ago, or re-signed by us) are put through the same verification the
callback uses.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from joserfc import jwk, jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from pydantic import SecretStr

from starter.api import create_app
from starter.api.signon import check_sign_on, verified_claims
from tests.helpers import csrf_token
from tests.oidc import Provider, oidc_provider, sign_in_at_provider, tokens_for
from triage.domain.access import SignOnPolicy, SignOnRefused, sign_on_identity
from triage.domain.models import Role
from triage.runtime.asgi_server import StartRefused, free_port, serving
from triage.runtime.config import Settings

APP_PORT = free_port()
APP_URL = f"http://127.0.0.1:{APP_PORT}"
CALLBACK = f"{APP_URL}/auth/callback"
ELSEWHERE = "http://127.0.0.1:9/callback"  # never visited: the tests stop at the redirect
SECRET = "client-secret-" + "s" * 32
CLIENTS = [
    {"client_id": "triage", "client_secret": SECRET, "redirect_uris": [CALLBACK]},
    {"client_id": "other-app", "client_secret": SECRET + "-other", "redirect_uris": [ELSEWHERE]},
    {"client_id": "triage-short", "client_secret": SECRET + "-short", "redirect_uris": [ELSEWHERE]},
]
ACCOUNTS = {
    "ada": {"email": "ada@example.com", "groups": ["support-admins"]},
    "bea": {"email": "bea@example.com", "groups": []},
    "eve": {"email": "eve@elsewhere.org", "groups": ["marketing"]},
}
COOKIE = "triage_session"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def provider() -> AsyncIterator[Provider]:
    async with oidc_provider(CLIENTS, ACCOUNTS, short_lived=("triage-short",)) as running:
        yield running


def sign_on_settings(provider: Provider, client_id: str = "triage") -> Settings:
    return Settings(
        reviewers=SecretStr(""),
        public_url=APP_URL,
        temporal_task_queue=f"signon-{uuid.uuid4().hex[:8]}",
        oidc_issuer=provider.issuer,
        oidc_client_id=client_id,
        oidc_client_secret=SecretStr(provider.clients[client_id]),
        oidc_scopes="openid email groups",
        oidc_allowed_domains="example.com",
        oidc_admin_groups="support-admins",
        oidc_leeway_seconds=0,
    )


async def sign_on(http: httpx.AsyncClient, login: str) -> httpx.Response:
    """The browser's way: the app's sign-on link, the provider's login page, back to the callback."""
    start = await http.get("/login/oidc?next=/sessions")
    assert start.status_code == 302, start.text
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]  # PKCE
    assert query["nonce"][0] and query["state"][0] and query["client_id"] == ["triage"]
    callback = await sign_in_at_provider(http, start.headers["location"], login, CALLBACK)
    return await http.get(callback.removeprefix(APP_URL))


def app_client(settings: Settings):
    return create_app(settings, None).state.sign_on  # its Authlib client: no Temporal needed


async def test_login_gives_the_mapped_role_and_logout_ends_the_session(dev_env, provider, caplog):
    caplog.set_level(logging.INFO)
    settings = sign_on_settings(provider)
    async with (
        serving(create_app(settings, dev_env.client), port=APP_PORT),
        httpx.AsyncClient(base_url=APP_URL, timeout=15) as http,
    ):
        login_page = await http.get("/login")
        assert 'data-testid="sign-on"' in login_page.text
        done = await sign_on(http, "ada")
        assert done.status_code == 303 and done.headers["location"] == "/sessions"
        page = await http.get("/sessions")
        assert page.status_code == 200 and "ada@example.com" in page.text
        assert 'data-testid="role">admin<' in page.text  # support-admins -> admin
        stolen = http.cookies[COOKIE]
        for secret in (SECRET, "access_token", "id_token"):
            assert secret not in page.text

        logged_out = await http.post("/logout", data={"csrf_token": csrf_token(page.text)})
        assert logged_out.status_code == 303
        async with httpx.AsyncClient(base_url=APP_URL, timeout=15) as thief:
            thief.cookies.set(COOKIE, stolen)
            replay = await thief.get("/sessions")
            assert replay.status_code == 303 and replay.headers["location"].startswith("/login")

    async with (
        serving(create_app(settings, dev_env.client), port=APP_PORT),
        httpx.AsyncClient(base_url=APP_URL, timeout=15) as http,
    ):
        assert (await sign_on(http, "bea")).status_code == 303
        page = await http.get("/sessions")
        assert "bea@example.com" in page.text and 'data-testid="role"' not in page.text  # a reviewer
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ada@example.com signed in by single sign-on" in logged
    assert SECRET not in logged


async def test_a_user_outside_the_allowed_domain_is_refused(dev_env, provider, caplog):
    settings = sign_on_settings(provider)
    async with (
        serving(create_app(settings, dev_env.client), port=APP_PORT),
        httpx.AsyncClient(base_url=APP_URL, timeout=15) as http,
    ):
        refused = await sign_on(http, "eve")
        assert refused.status_code == 403
        assert "Sign-on refused: eve@elsewhere.org is outside the allowed domains and groups." in refused.text
        assert (await http.get("/sessions")).status_code == 303  # no session was opened
    assert any("sign-on refused" in r.getMessage() for r in caplog.records)


async def test_a_callback_without_its_state_is_refused(dev_env, provider):
    settings = sign_on_settings(provider)
    async with (
        serving(create_app(settings, dev_env.client), port=APP_PORT),
        httpx.AsyncClient(base_url=APP_URL, timeout=15) as http,
    ):
        forged = await http.get("/auth/callback?code=stolen&state=guessed")
        assert forged.status_code == 403 and "Sign-on refused" in forged.text
        assert (await http.get("/sessions")).status_code == 303


async def test_a_token_for_another_audience_is_refused(provider):
    issued = await tokens_for(provider, "other-app", ELSEWHERE, "ada")
    client = app_client(sign_on_settings(provider))
    with pytest.raises(InvalidClaimError, match="aud"):
        await verified_claims(client, issued.token, issued.nonce, leeway=0)


async def test_an_expired_token_is_refused(provider):
    client = app_client(sign_on_settings(provider, "triage-short"))
    issued = await tokens_for(provider, "triage-short", ELSEWHERE, "ada")
    assert (await verified_claims(client, issued.token, issued.nonce, leeway=0))["sub"] == "ada"
    await asyncio.sleep(3.5)  # the provider gives this client ID tokens for three seconds
    with pytest.raises(ExpiredTokenError):
        await verified_claims(client, issued.token, issued.nonce, leeway=0)


async def test_a_forged_signature_is_refused(provider):
    client = app_client(sign_on_settings(provider))
    issued = await tokens_for(provider, "triage", CALLBACK, "bea")
    assert (await verified_claims(client, issued.token, issued.nonce, leeway=0))["sub"] == "bea"
    async with httpx.AsyncClient() as http:
        keys = jwk.KeySet.import_key_set((await http.get(f"{provider.issuer}/jwks")).json())
    real = jwt.decode(issued.token["id_token"], keys)
    forged_claims = {**real.claims, "groups": ["support-admins"]}  # bea made an admin
    resigned = jwt.encode(real.header, forged_claims, jwk.RSAKey.generate_key(2048))  # their kid, our key
    header, _, signature = issued.token["id_token"].split(".")
    spliced = f"{header}.{resigned.split('.')[1]}.{signature}"  # their signature over our claims
    for forged in (resigned, spliced):
        with pytest.raises(BadSignatureError):
            await verified_claims(client, {**issued.token, "id_token": forged}, issued.nonce, leeway=0)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "Ada@Example.com", "groups": ["support-admins"]}, ("ada@example.com", Role.ADMIN)),
        ({"email": "bea@example.com"}, ("bea@example.com", Role.REVIEWER)),
        (
            {"email": "cy@partner.io", "groups": "support"},
            ("cy@partner.io", Role.REVIEWER),
        ),  # a group as a string
        ({"email": "dee@partner.io", "groups": ["support-admins"]}, ("dee@partner.io", Role.ADMIN)),
        ({"email": "eve@elsewhere.org", "groups": ["marketing"]}, "outside the allowed domains and groups"),
        ({"email": "fay@example.com", "email_verified": False}, "is not verified"),
        ({"sub": "123"}, "no email address"),
        ({"email": "gil@example.com.evil.org"}, "outside the allowed domains"),
    ],
)
def test_who_gets_in_and_with_which_role(claims, expected):
    policy = SignOnPolicy.from_lists("example.com", "support", "support-admins")
    if isinstance(expected, tuple):
        assert sign_on_identity(claims, policy) == expected
    else:
        with pytest.raises(SignOnRefused, match=expected):
            sign_on_identity(claims, policy)


def test_sign_on_open_to_anyone_or_half_configured_stops_the_start():
    with pytest.raises(StartRefused, match="anyone with an account"):
        check_sign_on(
            Settings(
                oidc_issuer="https://accounts.google.com",
                oidc_client_id="x",
                oidc_client_secret=SecretStr("y"),
            )
        )
    with pytest.raises(StartRefused, match="TRIAGE_OIDC_CLIENT_ID"):
        check_sign_on(Settings(oidc_issuer="https://accounts.google.com", oidc_allowed_domains="example.com"))
    check_sign_on(Settings())  # off: nothing to check
