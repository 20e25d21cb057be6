"""The reviewer API as the CLI's other door (``--api URL``): a token, one-line errors, exit codes.

Through it, the reviewer recorded is the token's owner, whatever the command line says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starter.cli.errors import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, one_line

if TYPE_CHECKING:
    import httpx

Api = Annotated[
    str | None,
    typer.Option(
        "--api",
        envvar="TRIAGE_API_URL",
        help="Go through the reviewer API at this URL (http://localhost:8000) with a reviewer token: "
        "a decision is recorded under the token's reviewer.",
    ),
]
TokenFile = Annotated[
    Path | None,
    typer.Option(
        "--token-file",
        exists=True,
        dir_okay=False,
        help="File holding the reviewer token for --api (default $TRIAGE_API_TOKEN).",
    ),
]


def api_token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError(f"cannot read the token file {token_file}: {err}", EXIT_USAGE) from err
        if not token:
            raise CliError(f"the token file {token_file} is empty", EXIT_USAGE)
        return token
    token = os.environ.get("TRIAGE_API_TOKEN", "").strip()
    if not token:
        raise CliError(
            "--api needs a reviewer token: set TRIAGE_API_TOKEN or pass --token-file FILE", EXIT_USAGE
        )
    return token


@contextmanager
def api_client(api: str, token_file: Path | None) -> Iterator[httpx.Client]:
    """An HTTP client for the reviewer API; "unreachable" is exit code 3."""
    import httpx

    token = api_token(token_file)
    base = api.rstrip("/")
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=75) as http:
            yield http
    except httpx.TransportError as err:
        raise CliError(
            f"the reviewer API at {base} is unreachable ({one_line(str(err)) or type(err).__name__})",
            EXIT_UNREACHABLE,
        ) from err


def api_call(
    http: httpx.Client, method: str, path: str, payload: dict[str, Any] | None = None, **params: Any
) -> Any:
    """One request: its JSON (None for 204), or a CliError whose exit code says what kind of failure it was."""
    response = http.request(
        method, path, json=payload, params={k: v for k, v in params.items() if v is not None}
    )
    if response.is_success:
        return response.json() if response.content else None
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text[:200]}
    detail, kind = body.get("detail", ""), body.get("kind")
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(str(item.get("msg", item)) for item in detail)
    status = response.status_code
    code = {422: EXIT_USAGE, 502: EXIT_REFUSED}.get(
        status, EXIT_UNREACHABLE if status >= 500 else EXIT_REFUSED
    )
    what = {401: "the API refused the token", 403: "not allowed", 404: "not found", 409: "refused"}.get(
        status, "the API answered"
    )
    raise CliError(f"{what} ({status}{' ' + kind if kind else ''}): {one_line(detail)}", code)
