"""``triage mail check``: is the configured mailbox usable? Changes nothing in it."""

from __future__ import annotations

import typer

from starter.cli.errors import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE, CliError
from starter.cli.output import console
from triage.runtime.config import get_settings

mail_app = typer.Typer(help="The mailbox the stack reads (TRIAGE_MAIL_PROVIDER=imap).", no_args_is_help=True)


@mail_app.command()
def check() -> None:
    """Log in, list the folders it will use, say whether IDLE is there, show the newest message's id."""
    from triage.mail.errors import MailRejected, MailUnreachable
    from triage.mail.imap.check import check_mailbox

    settings = get_settings()
    if settings.mail_provider != "imap":
        raise CliError(
            "the mailbox is the myagentmail inbox: set TRIAGE_MAIL_PROVIDER=imap to check an IMAP mailbox",
            EXIT_USAGE,
        )
    account = settings.imap_account()
    auth = "token command (XOAUTH2)" if account.token_command else "password"
    try:
        found = check_mailbox(account)
    except MailUnreachable as err:
        raise CliError(f"{account.host}:{account.port} is unreachable: {err}", EXIT_UNREACHABLE) from err
    except MailRejected as err:
        raise CliError(str(err), EXIT_REFUSED) from err

    def line(label: str, text: str) -> None:
        console.print(f"{label:<9} {text}", highlight=False, markup=False, soft_wrap=True)

    line(
        "mailbox",
        f"{account.address}: {account.user} at {account.host}:{account.port} ({account.security}), {auth}",
    )
    line("smtp", f"{account.smtp_host}:{account.smtp_port} ({account.smtp_security}), not contacted")
    line(
        "folders",
        ", ".join(f"{name} {'ok' if present else 'MISSING'}" for name, present in found.folders.items()),
    )
    if found.special:
        line("special", ", ".join(f"{use} is {name!r}" for use, name in sorted(found.special.items())))
    line(
        "idle",
        "yes: new mail arrives at once"
        if found.idle and account.idle
        else f"no: polled every {account.poll_seconds:g} s",
    )
    newest = (
        f"{found.newest_id} <{found.newest_message_id or 'no Message-ID'}> {found.newest_subject!r}"
        if found.newest_id
        else "none"
    )
    line("newest", f"{newest} ({found.messages} message(s) in {account.inbox_folder})")
    line("changed", "nothing (read-only: LIST, EXAMINE, BODY.PEEK)")
    if found.missing:
        raise CliError(
            f"folder(s) missing: {', '.join(found.missing)}; set TRIAGE_IMAP_DRAFTS_FOLDER / TRIAGE_IMAP_SENT_FOLDER "
            "to the names listed under 'special'",
            EXIT_REFUSED,
        )
