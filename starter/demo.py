"""The demo of ``triage up --demo``: its sample emails (sent once per inbox), its autonomy modes, its kept token."""

from __future__ import annotations

import json
import os
import secrets
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from triage.domain.models import AutonomyMode
from triage.runtime.config import Settings

DEMO_TOKEN_FILE = "demo-token"
SESSION_SECRET_FILE = "session-secret"


# The demo shows the three autonomy modes on its samples: the browsers answer waits in
# shadow ("would have been sent automatically"), the data-export answer in review, the
# rest goes out alone; three agreeing verdicts promote a shadow article.
DEMO_AUTONOMY = {
    "TRIAGE_AUTONOMY_ARTICLES": json.dumps(
        {"supported-browsers": AutonomyMode.SHADOW, "export-data": AutonomyMode.REVIEW}
    ),
    "TRIAGE_AUTONOMY_PROMOTE_AFTER": "3",
}


def demo_autonomy_env(settings: Settings) -> dict[str, str]:
    """The demo's modes, unless the operator configured autonomy (environment or file)."""
    configured = settings.model_fields_set & {
        "autonomy",
        "autonomy_articles",
        "autonomy_categories",
        "autonomy_promote_after",
    }
    return {} if configured else dict(DEMO_AUTONOMY)


def demo_samples() -> list[dict[str, Any]]:
    return json.loads(resources.files("triage.demo").joinpath("samples.json").read_text())


def sample_key(sender: str, subject: str | None) -> tuple[str, str]:
    """What makes a sample the same email again: the sender's address and the subject."""
    address = parseaddr(sender)[1] or sender
    return address.strip().lower(), (subject or "").strip()


async def inject_samples(control_url: str, settings: Settings) -> tuple[list[str], int]:
    """Send the demo samples the inbox has never received.

    The inbox itself is the record: a sample whose sender and subject are
    already among its inbound messages is not sent again, so restarting the
    demo never duplicates a review or a customer's auto-reply. Returns the
    new message ids and how many samples were there already.
    """
    from triage.mail.factory import build_mail_provider

    inbox_id = settings.inbox_id
    seen: set[tuple[str, str]] = set()
    async with build_mail_provider(settings) as mail:
        async for page in mail.inbound_pages(inbox_id, page_size=100, max_pages=10_000):
            seen.update(sample_key(m.from_address, m.subject) for m in page)
    ids: list[str] = []
    already = 0
    async with httpx.AsyncClient(base_url=control_url, timeout=10) as http:
        for sample in demo_samples():
            if sample_key(sample["from"], sample.get("subject")) in seen:
                already += 1
                continue
            response = await http.post("/_sim/inbound", json={"inbox_id": inbox_id, **sample})
            response.raise_for_status()
            ids.append(response.json()["message_id"])
    return ids, already


def demo_token(data_dir: Path, name: str = DEMO_TOKEN_FILE) -> str:
    """The demo reviewer's token (or another secret): made once, kept (mode 0600) in ``data_dir/name``."""
    path = data_dir / name
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if len(token) < 32:
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(token + "\n")
    return token
