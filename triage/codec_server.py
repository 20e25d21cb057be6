"""A Temporal codec server, so authorised operators read decoded payloads.

Implements the remote-codec protocol the Web UI (``--ui-codec-endpoint``)
and the CLI (``--codec-endpoint``) speak: ``POST /encode`` and
``POST /decode`` with ``{"payloads": [...]}`` in protobuf JSON. Optional
bearer-token auth (``TRIAGE_CODEC_TOKEN``) because decoding is reading
customer mail.
"""

from __future__ import annotations

import hmac

from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads

from triage.codec import EncryptionCodec


def create_codec_app(
    codec: EncryptionCodec, *, allowed_origins: list[str], token: str | None = None
) -> Starlette:
    async def handle(request: Request) -> Response:
        if token and not hmac.compare_digest(
            request.headers.get("authorization", ""), f"Bearer {token}"
        ):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            payloads = json_format.Parse(await request.body(), Payloads())
        except json_format.ParseError:
            return JSONResponse({"error": "body must be {\"payloads\": [...]}"}, status_code=400)
        transform = codec.encode if request.url.path.endswith("/encode") else codec.decode
        try:
            result = Payloads(payloads=await transform(payloads.payloads))
        except Exception as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
        return Response(json_format.MessageToJson(result), media_type="application/json")

    return Starlette(
        routes=[Route("/encode", handle, methods=["POST"]), Route("/decode", handle, methods=["POST"])],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=allowed_origins,
                allow_methods=["POST"],
                allow_headers=["content-type", "x-namespace", "authorization"],
                allow_credentials=True,
            )
        ],
    )
