"""What ``triage mail check`` reports: log in, find the folders, IDLE or not, the newest message.

Read-only by construction: LIST, EXAMINE, UID SEARCH and a header fetch
with ``BODY.PEEK``; nothing is appended, flagged or deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.mail.errors import MailRejected
from triage.mail.imap.mime import parse_mail
from triage.mail.imap.session import ImapSession, account_endpoints
from triage.runtime.config import ImapAccount


@dataclass
class MailboxCheck:
    folders: dict[str, bool] = field(default_factory=dict)  # the folders we use -> present
    special: dict[str, str] = field(default_factory=dict)  # \Drafts / \Sent as the server names them
    idle: bool = False
    messages: int = 0
    newest_id: str | None = None
    newest_message_id: str | None = None
    newest_subject: str = ""

    @property
    def missing(self) -> list[str]:
        return [name for name, present in self.folders.items() if not present]


def check_mailbox(account: ImapAccount) -> MailboxCheck:
    imap, _ = account_endpoints(account)
    session = ImapSession(imap)
    try:
        found = MailboxCheck(idle=session.has_idle())
        listed = session.folders()
        names = {name for name, _ in listed}
        for name, flags in listed:
            for use in ("\\Drafts", "\\Sent"):
                if use in flags.split():
                    found.special[use] = name
        for name in (account.inbox_folder, account.drafts_folder, account.sent_folder):
            found.folders[name] = name in names or (
                name.upper() == "INBOX" and "INBOX" in {n.upper() for n in names}
            )
        if not found.folders[account.inbox_folder]:
            return found
        session.open_folder(account.inbox_folder, readonly=True)
        uids = session.uids()
        found.messages = len(uids)
        if uids:
            newest = session.fetch(uids[-1:], whole=False)
            if newest:
                mail = parse_mail(newest[0].data, headers_only=True)
                found.newest_id = mail.triage_id
                found.newest_message_id = mail.rfc_message_id
                found.newest_subject = mail.subject
        return found
    except MailRejected:
        raise
    finally:
        session.close()
