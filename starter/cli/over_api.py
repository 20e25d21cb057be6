"""Commands that go through the reviewer API (``--api``) instead of Temporal.

The API, not this command, says who acts (the token's owner) and whether
their role may: a reviewer asking for an admin's action gets the API's 403
and its reason, and exit code 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starter.cli.api_client import api_call, api_client


def call_api(
    api: str, token_file: Path | None, method: str, path: str, payload: dict[str, Any] | None = None
) -> Any:
    """One request to the reviewer API as the token's owner; its JSON answer (None for 204)."""
    with api_client(api, token_file) as http:
        return api_call(http, method, path, payload)
