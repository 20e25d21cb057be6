"""Pick the mail provider from configuration (``TRIAGE_MAIL_PROVIDER``), like ``triage.judging.factory``."""

from __future__ import annotations

from triage.mail.provider import MailProvider
from triage.runtime.config import Settings


def build_mail_provider(settings: Settings) -> MailProvider:
    """The configured provider, not yet entered: use it as an async context manager."""
    if settings.mail_provider == "myagentmail":
        from triage.mail.myagentmail.provider import MyAgentMailProvider

        return MyAgentMailProvider.from_settings(settings)
    if settings.mail_provider == "imap":
        from triage.mail.imap.provider import ImapProvider

        return ImapProvider.from_settings(settings)
    raise ValueError(f"unknown mail provider {settings.mail_provider!r}: use myagentmail or imap")
