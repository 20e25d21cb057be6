"""Single sign-on with OpenID Connect: authorization code with PKCE, through Authlib.

``GET /login/oidc`` sends the browser to the identity provider (Authlib makes
the state, the nonce and the PKCE verifier, and keeps them in the signed
session cookie until the callback). ``GET /auth/callback`` exchanges the code
and has Authlib verify the ID token: signature against the provider's
published keys, issuer, audience (our client id), expiry (with
``TRIAGE_OIDC_LEEWAY_SECONDS`` of clock difference) and nonce. What the
verified claims let in, and as which role, is ``triage.domain.access``'s decision.
A refusal opens no session and says why; it is logged without any token.
"""

from __future__ import annotations

import logging
from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError, StarletteOAuth2App
from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from httpx import HTTPError
from joserfc.errors import JoseError

import starter.api.auth as auth
from starter.api.gateway import link_of
from starter.api.pages import error_page, flash, settings_of
from triage.domain.access import SignOnPolicy, SignOnRefused, sign_on_identity
from triage.runtime.asgi_server import StartRefused
from triage.runtime.config import Settings

log = logging.getLogger(__name__)

PROVIDER = "idp"
CALLBACK_PATH = "/auth/callback"
NEXT_KEY = "signon_next"

router = APIRouter(include_in_schema=False)


def sign_on_enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer)


def sign_on_policy(settings: Settings) -> SignOnPolicy:
    return SignOnPolicy.from_lists(
        settings.oidc_allowed_domains,
        settings.oidc_allowed_groups,
        settings.oidc_admin_groups,
        settings.oidc_groups_claim,
    )


def check_sign_on(settings: Settings) -> None:
    """Refuse to start with sign-on half configured, or open to anyone the provider knows."""
    if not sign_on_enabled(settings):
        return
    problems = []
    if not settings.oidc_client_id or not settings.oidc_client_secret.get_secret_value():
        problems.append("TRIAGE_OIDC_CLIENT_ID and TRIAGE_OIDC_CLIENT_SECRET are needed")
    if not sign_on_policy(settings).restricted:
        problems.append(
            "set TRIAGE_OIDC_ALLOWED_DOMAINS or TRIAGE_OIDC_ALLOWED_GROUPS (or TRIAGE_OIDC_ADMIN_GROUPS): "
            "otherwise anyone with an account at the provider gets in"
        )
    if problems:
        raise StartRefused("TRIAGE_OIDC_ISSUER is set: " + "; ".join(problems) + ".")


def sign_on_client(settings: Settings) -> StarletteOAuth2App | None:
    """The Authlib client for the configured provider (None: sign-on is off)."""
    if not sign_on_enabled(settings):
        return None
    issuer = (settings.oidc_issuer or "").rstrip("/")
    oauth = OAuth()
    return oauth.register(
        PROVIDER,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
        client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
    )


def client_of(request: Request) -> StarletteOAuth2App | None:
    return request.app.state.sign_on


async def claims_options(client: StarletteOAuth2App) -> dict[str, Any]:
    """The issuer and the audience an ID token must name. Authlib checks the issuer by
    default but the audience only through ``azp``: a token for several audiences, ours
    not among them, would pass. So both are spelt out (a new dict each time: Authlib
    consumes it)."""
    metadata = await client.load_server_metadata()
    return {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": client.client_id},
    }


async def verified_claims(
    client: StarletteOAuth2App, token: dict[str, Any], nonce: str, leeway: int
) -> dict[str, Any]:
    """The ID token's claims once Authlib verified it (the same checks as the callback's)."""
    claims = await client.parse_id_token(
        token, nonce=nonce, claims_options=await claims_options(client), leeway=leeway
    )
    return dict(claims)


def redirect_uri(request: Request) -> str:
    """The callback address to register at the provider: ``TRIAGE_PUBLIC_URL`` + /auth/callback."""
    return settings_of(request).public_url.rstrip("/") + CALLBACK_PATH


@router.get("/login/oidc")
async def sign_on_start(request: Request, next: str = "/") -> Response:
    client = client_of(request)
    if client is None:
        return error_page(request, status.HTTP_404_NOT_FOUND, "Single sign-on is not configured here.")
    request.session[NEXT_KEY] = auth.safe_next(next)
    try:
        return await client.authorize_redirect(request, redirect_uri(request))
    except (HTTPError, OAuthError) as err:
        log.warning(
            "identity provider at %s unreachable: %s", settings_of(request).oidc_issuer, type(err).__name__
        )
        return error_page(
            request, status.HTTP_503_SERVICE_UNAVAILABLE, "The identity provider is unreachable."
        )


@router.get(CALLBACK_PATH)
async def sign_on_callback(request: Request) -> Response:
    client = client_of(request)
    if client is None:
        return error_page(request, status.HTTP_404_NOT_FOUND, "Single sign-on is not configured here.")
    settings = settings_of(request)
    who = auth.client_of(request)
    throttle = auth.throttle_of(request)
    keys = throttle.keys(who)
    async with link_of(request).errors():
        check = await throttle.check(keys)
    if check.wait > 0:
        return error_page(
            request, status.HTTP_429_TOO_MANY_REQUESTS, "Too many failed sign-ins. Try again later."
        )
    try:
        token = await client.authorize_access_token(
            request, leeway=settings.oidc_leeway_seconds, claims_options=await claims_options(client)
        )
        claims = await _with_userinfo(client, token, settings.oidc_groups_claim)
        name, role = sign_on_identity(claims, sign_on_policy(settings))
    except (OAuthError, JoseError, SignOnRefused) as err:
        reason = _reason(err)
        async with link_of(request).errors():
            count = await throttle.failed(keys)
        log.warning("sign-on refused from %s: %s (%d recent failures)", who, reason, count)
        return error_page(request, status.HTTP_403_FORBIDDEN, f"Sign-on refused: {reason}.")
    except HTTPError as err:
        log.warning("identity provider unreachable during sign-on: %s", type(err).__name__)
        return error_page(
            request, status.HTTP_503_SERVICE_UNAVAILABLE, "The identity provider is unreachable."
        )
    if check.failures:
        async with link_of(request).errors():
            await throttle.succeeded(keys)
    next_path = auth.safe_next(request.session.get(NEXT_KEY))
    await auth.open_session(request, auth.Identity(name, role), None)
    log.info("%s signed in by single sign-on from %s as %s", name, who, role.value)
    flash(request, "ok", f"Signed in as {name}.")
    return RedirectResponse(next_path, status.HTTP_303_SEE_OTHER)


async def _with_userinfo(
    client: StarletteOAuth2App, token: dict[str, Any], groups_claim: str
) -> dict[str, Any]:
    """The verified ID token's claims, completed from the userinfo endpoint when they lack
    the email or the groups: a provider that follows the specification to the letter (Okta,
    oidc-provider) puts scope claims there, not in the ID token of a code flow."""
    claims = dict(token.get("userinfo") or {})
    if "email" in claims and groups_claim in claims:
        return claims
    extra = dict(await client.userinfo(token=token))
    if extra.get("sub") != claims.get("sub"):
        raise SignOnRefused("the userinfo answer is about someone else than the ID token")
    return {**extra, **claims}


def _reason(err: Exception) -> str:
    """Why, in words, never a token: Authlib's errors name the claim or step that failed."""
    if isinstance(err, SignOnRefused):
        return str(err)
    if isinstance(err, OAuthError):
        return err.description or err.error or "the provider refused"
    if isinstance(err, JoseError):
        return f"the ID token is not valid ({err.error}{': ' + err.description if err.description else ''})"
    return type(err).__name__
