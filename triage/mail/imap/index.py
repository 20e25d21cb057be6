"""What the provider knows of a folder: one header entry per UID, kept up to date by UID.

A refresh fetches only the headers of UIDs above the highest one known; a
changed UIDVALIDITY (the server rebuilt the folder) drops everything and
rescans the folder whole. Entries are keyed by UID but identify mail by its
triage id (from the Message-ID, or the content for mail without one), so a
rescan finds the same ids again and the watcher starts nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from triage.domain.inbound import bare_address
from triage.mail.imap.mime import ParsedMail, parse_mail
from triage.mail.imap.session import Fetched, ImapSession
from triage.mail.imap.threads import Envelope

_FETCH_BATCH = 200


@dataclass(frozen=True)
class Entry:
    uid: int
    size: int
    arrived: datetime
    mail: ParsedMail  # headers only
    outbound: bool

    @property
    def envelope(self) -> Envelope:
        mail = self.mail
        other = (mail.to[0] if mail.to else "") if self.outbound else mail.from_address
        return Envelope(
            triage_id=mail.triage_id,
            rfc_message_id=mail.rfc_message_id,
            in_reply_to=tuple(mail.in_reply_to),
            references=tuple(mail.references),
            subject=mail.subject,
            customer=bare_address(other) if other else "",
            outbound=self.outbound,
        )


@dataclass
class FolderIndex:
    folder: str
    outbound: bool  # the Sent folder: our replies
    max_bytes: int  # a message without a Message-ID is read whole (to derive its id) up to this size
    uidvalidity: int = 0
    entries: dict[int, Entry] = field(default_factory=dict)
    resets: int = 0  # UIDVALIDITY changes seen

    def refresh(self, session: ImapSession) -> list[Entry]:
        """Bring the index up to date (the folder EXAMINEd); the entries that are new."""
        state = session.open_folder(self.folder, readonly=True)
        if state.uidvalidity != self.uidvalidity:
            if self.uidvalidity:
                self.resets += 1
            self.uidvalidity = state.uidvalidity
            self.entries = {}
        known = max(self.entries, default=0)
        if state.uidnext and state.uidnext <= known + 1:
            return []
        fresh = [uid for uid in session.uids(f"UID {known + 1}:*") if uid > known]
        added: list[Entry] = []
        for start in range(0, len(fresh), _FETCH_BATCH):
            batch = fresh[start : start + _FETCH_BATCH]
            for fetched in session.fetch(batch, whole=False):
                mail = parse_mail(fetched.data, headers_only=True)
                if mail.rfc_message_id is None and fetched.size <= self.max_bytes:
                    mail = _with_content_id(session, fetched, mail)
                entry = Entry(
                    fetched.uid, fetched.size, fetched.internal_date or _epoch(), mail, self.outbound
                )
                self.entries[fetched.uid] = entry
                added.append(entry)
        return added

    def uids_of(self, triage_id: str) -> list[int]:
        return sorted(uid for uid, entry in self.entries.items() if entry.mail.triage_id == triage_id)

    def newest_first(self) -> list[Entry]:
        """One entry per message (the first UID of duplicates), newest UID first."""
        seen: set[str] = set()
        unique = []
        for uid in sorted(self.entries):
            entry = self.entries[uid]
            if entry.mail.triage_id not in seen:
                seen.add(entry.mail.triage_id)
                unique.append(entry)
        return unique[::-1]


def _with_content_id(session: ImapSession, fetched: Fetched, headers: ParsedMail) -> ParsedMail:
    """The headers again, with the id derived from the whole message's content."""
    whole = session.fetch([fetched.uid], whole=True)
    return parse_mail(whole[0].data, headers_only=True) if whole else headers


def _epoch() -> datetime:
    return datetime.fromtimestamp(0, UTC)
