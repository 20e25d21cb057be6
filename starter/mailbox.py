"""Which mailbox ``triage up`` runs against: the embedded emulator, or a configured IMAP mailbox."""

from __future__ import annotations

from triage.runtime.config import Settings


def imap_mailbox(settings: Settings, mail: str | None, *, demo: bool) -> str | None:
    """With ``--mail imap`` (or TRIAGE_MAIL_PROVIDER=imap), the mailbox as one line; None for the emulator."""
    chosen = mail or ("imap" if settings.mail_provider == "imap" else "emulator")
    if chosen not in ("emulator", "imap"):
        raise ValueError(f"--mail {chosen}: use emulator or imap")
    if chosen == "emulator":
        return None
    if demo:
        raise ValueError("the demo runs on the embedded emulator's inbox: drop --mail imap, or --demo")
    account = settings.imap_account()  # ValueError: what is misconfigured
    return f"{account.address} ({account.user} at {account.host}:{account.port}, {account.inbox_folder})"
