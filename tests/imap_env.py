"""Fixtures for the IMAP tests: one real Dovecot and one SMTP relay per test module."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from triage.dev.certificates import Certificates
from triage.dev.dovecot import DOMAIN, PASSWORD, Dovecot, dovecot_installed
from triage.dev.smtp_relay import SmtpRelay
from triage.runtime.config import Settings

needs_dovecot = pytest.mark.skipif(
    not dovecot_installed(),
    reason="Debian's dovecot-imapd and dovecot-lmtpd are not installed (.ci/run installs them)",
)


@contextmanager
def running_dovecot(
    certificates: Certificates | None = None, oauth2_introspection_url: str | None = None
) -> Iterator[Dovecot]:
    with tempfile.TemporaryDirectory(prefix="dovecot-") as root:
        server = Dovecot(
            Path(root), certificates=certificates, oauth2_introspection_url=oauth2_introspection_url
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="module")
def relay(dovecot: Dovecot) -> Iterator[SmtpRelay]:
    server = SmtpRelay(dovecot)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> str:
    """A mailbox of its own for one test (the module shares the server)."""
    return dovecot.fresh_mailbox()


def imap_settings(dovecot: Dovecot, relay: SmtpRelay, user: str = "support", **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        mail_provider="imap",
        imap_host="127.0.0.1",
        imap_port=dovecot.imap_port,
        imap_security="none",
        imap_user=user,
        imap_password=PASSWORD,
        imap_address=dovecot.address(user),
        smtp_host="127.0.0.1",
        smtp_port=relay.port,
        imap_poll_seconds=1.0,
        inbox_id="support",
        watch_idle_timeout_seconds=6.0,
        mail_timeout_seconds=5.0,
        temporal_task_queue=f"tq-{uuid.uuid4().hex[:10]}",
        model_dir=Path(tempfile.gettempdir()) / "triage-models-imap",
    )
    values.update(overrides)
    return Settings(**values)


def mail(
    subject: str = "Where is my invoice?",
    body: str = "Hello, I cannot find my invoice for March. Where can I download it?",
    *,
    sender: str = f"customer@{DOMAIN}",
    to: str = f"support@{DOMAIN}",
    message_id: str | None = "auto",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    if message_id == "auto":
        message_id = f"{uuid.uuid4().hex}@client.{DOMAIN}"
    if message_id:
        message["Message-ID"] = f"<{message_id}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()
