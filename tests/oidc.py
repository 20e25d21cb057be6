"""A real OpenID provider for the tests: panva's ``oidc-provider`` (OpenID certified) on Debian's node.

The npm package is pinned in ``tests/oidc_provider/package-lock.json`` and
installed there with ``npm ci`` (by ``.ci/run``, or here on first use); nothing
downloads while it runs. ``provider.mjs`` configures clients and accounts from
the environment; its login page takes any password (development interactions),
which ``sign_in_at_provider`` fills in as a browser would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client

from tests.helpers import child_process
from triage.runtime.asgi_server import free_port

PROVIDER_DIR = Path(__file__).parent / "oidc_provider"
SCOPES = "openid email groups"


def install_provider() -> None:
    """``npm ci`` from the lock file, once (the registry is reached only here)."""
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: apt-get install -y nodejs npm")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PROVIDER_DIR, check=True, timeout=300
    )


@dataclass
class Provider:
    issuer: str
    clients: dict[str, str]  # client id -> secret

    @property
    def discovery(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


@asynccontextmanager
async def oidc_provider(
    clients: list[dict], accounts: dict[str, dict], short_lived: tuple[str, ...] = ()
) -> AsyncIterator[Provider]:
    install_provider()
    issuer = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENTS": json.dumps(clients),
        "OIDC_ACCOUNTS": json.dumps(accounts),
        "OIDC_SHORT_TTL_CLIENTS": ",".join(short_lived),
    }
    node = shutil.which("node") or "node"
    args = [node, "provider.mjs"]
    discovery = f"{issuer}/.well-known/openid-configuration"
    async with child_process(
        args, discovery, cwd=PROVIDER_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ):
        yield Provider(issuer, {c["client_id"]: c["client_secret"] for c in clients})


async def sign_in_at_provider(http: httpx.AsyncClient, url: str, login: str, stop_at: str) -> str:
    """Follow redirects from ``url`` through the provider's login page (as ``login``) until one
    leads to ``stop_at`` (a redirect URI); returns that URL, with the code and state."""
    for _ in range(20):
        if url.startswith(stop_at):
            return url
        response = await http.get(url)
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["location"])
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text)
        assert response.status_code == 200 and form, (response.status_code, response.text[:500])
        posted = await http.post(
            urljoin(url, form.group(1)), data={"prompt": "login", "login": login, "password": "x"}
        )
        assert posted.status_code in (302, 303), posted.text[:500]
        url = urljoin(url, posted.headers["location"])
    raise AssertionError("too many redirects at the provider")


@dataclass
class IssuedTokens:
    token: dict
    nonce: str


async def tokens_for(provider: Provider, client_id: str, redirect_uri: str, login: str) -> IssuedTokens:
    """A real token response for ``client_id``: authorization code with PKCE, as any relying party."""
    async with httpx.AsyncClient(timeout=10) as http:
        metadata = (await http.get(provider.discovery)).json()
        oauth = AsyncOAuth2Client(
            client_id,
            provider.clients[client_id],
            scope=SCOPES,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        verifier, nonce = generate_token(48), generate_token(20)
        url, _ = oauth.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        callback = await sign_in_at_provider(http, url, login, redirect_uri)
        token = await oauth.fetch_token(
            metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        await oauth.aclose()
    return IssuedTokens(dict(token), nonce)
