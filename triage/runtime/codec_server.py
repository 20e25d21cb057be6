"""A Temporal codec server, so authorised operators read decoded payloads.

Implements the remote-codec protocol the Web UI (``--ui-codec-endpoint``)
and the CLI (``--codec-endpoint``) speak: ``POST /encode`` and
``POST /decode`` with ``{"payloads": [...]}`` in protobuf JSON.

Decoding is reading customer mail, so the server is never open to the
network without a credential: with no bearer token (``TRIAGE_CODEC_TOKEN``)
it refuses to start on anything but a loopback address, and answers only
loopback clients. It also checks the ``Host`` header (loopback names, the
bind address, ``TRIAGE_CODEC_ALLOWED_HOSTS``), so a web page that rebinds
its own DNS name to 127.0.0.1 cannot use the operator's browser to read it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from triage.runtime.asgi_server import StartRefused
from triage.runtime.codec import EncryptionCodec

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})


class CodecServerRefused(StartRefused):
    """The codec server will not start like this (the message says why)."""


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """``Host`` header -> name without port: ``[::1]:8081`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Refuses (421) requests whose Host is not one of ours: DNS rebinding."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app, self.allowed = app, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = ""
            for name, value in scope["headers"]:
                if name == b"host":
                    host = host_name(value.decode("latin-1"))
            if host not in self.allowed:
                response = JSONResponse({"error": "unexpected Host header"}, status_code=421)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_codec_app(
    codec: EncryptionCodec,
    *,
    allowed_origins: list[str],
    token: str | None = None,
    bind_host: str = "127.0.0.1",
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The app; raises ``CodecServerRefused`` for a tokenless server off loopback."""
    if not token and not is_loopback(bind_host):
        raise CodecServerRefused(
            f"codec server: refusing to decode for anyone on {bind_host or 'all addresses'} "
            "without a token; set TRIAGE_CODEC_TOKEN (clients send it as a bearer token) "
            "or listen on 127.0.0.1"
        )
    if allowed_hosts is None:
        allowed_hosts = [h for h in os.environ.get("TRIAGE_CODEC_ALLOWED_HOSTS", "").split(",") if h.strip()]
    hosts = set(LOOPBACK_NAMES) | {host_name(h) for h in allowed_hosts}
    if bind_host not in _ANY_ADDRESS:
        hosts.add(host_name(bind_host) if bind_host.startswith("[") else bind_host.lower())

    async def handle(request: Request) -> Response:
        if token and not hmac.compare_digest(
            request.headers.get("authorization", "").encode(), f"Bearer {token}".encode()
        ):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if not token and not (request.client and is_loopback(request.client.host)):
            return JSONResponse({"error": "this codec server has no token: loopback only"}, status_code=403)
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except json_format.ParseError:
            return JSONResponse({"error": 'body must be {"payloads": [...]}'}, status_code=400)
        transform = codec.encode if request.url.path.endswith("/encode") else codec.decode
        try:
            result = Payloads(payloads=await transform(payloads.payloads))
        except Exception as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
        return Response(json_format.MessageToJson(result), media_type="application/json")

    return Starlette(
        routes=[Route("/encode", handle, methods=["POST"]), Route("/decode", handle, methods=["POST"])],
        middleware=[
            Middleware(HostCheck, allowed=frozenset(hosts)),
            Middleware(
                CORSMiddleware,
                allow_origins=allowed_origins,
                allow_methods=["POST"],
                allow_headers=["content-type", "x-namespace", "authorization"],
                allow_credentials=True,
            ),
        ],
    )
