"""Commands that go through the reviewer API (``--api``) instead of Temporal.

The API, not this command, says who acts (the token's owner) and whether
their role may: a reviewer asking for an admin's action gets the API's 403
and its reason, and exit code 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starter.cli.decisions import _api_call, _api_token
from starter.cli.errors import EXIT_UNREACHABLE, CliError, one_line


def call_api(api: str, token_file: Path | None, method: str, path: str, payload: dict | None = None) -> Any:
    """One request to the reviewer API as the token's owner; its JSON answer (None for 204)."""
    import httpx

    token = _api_token(token_file)
    try:
        with httpx.Client(base_url=api.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=75) as http:
            return _api_call(http, method, path, payload)
    except httpx.TransportError as err:
        reason = one_line(str(err)) or type(err).__name__
        raise CliError(f"the reviewer API at {api} is unreachable ({reason})", EXIT_UNREACHABLE) from err
