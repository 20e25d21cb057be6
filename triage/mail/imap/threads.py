"""Which conversation each message belongs to: a pure decision over the mailbox's headers.

The thread id only names the conversation; what joining one means (who owns
the review, which message supersedes which) is the conversation logic the
workflow runs on it, the same for every provider.

In order of trust:
1. a parent this mailbox holds (In-Reply-To, then References newest first):
   the parent's thread, so a client that keeps only In-Reply-To (Outlook)
   still lands in the thread its parent is in;
2. the root a client named (the first References entry, else In-Reply-To);
3. for a client that drops both: a reply-looking subject (``Re:``, ``AW:``,
   ``SV:`` ...) whose normalised form matches an earlier message with the
   same customer (the sender of inbound mail, the recipient of ours), so a
   stranger's "Re: Refund" never joins someone else's conversation;
4. else the message starts its own thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from triage.mail.imap.mime import is_reply_subject, normalized_subject, thread_id_for


@dataclass(frozen=True)
class Envelope:
    """What threading reads of one message (inbound or ours)."""

    triage_id: str
    rfc_message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    customer: str  # bare address of the other party
    outbound: bool = False


def assign_threads(envelopes: Iterable[Envelope]) -> dict[str, str]:
    """``triage_id -> thread_id`` for ``envelopes``, given oldest first."""
    by_rfc: dict[str, str] = {}
    threads: dict[str, str] = {}
    by_subject: dict[tuple[str, str], str] = {}
    for envelope in envelopes:
        if envelope.triage_id in threads:  # the same mail twice (a duplicate delivery)
            continue
        thread = _from_headers(envelope, by_rfc, threads)
        subject_key = (normalized_subject(envelope.subject), envelope.customer)
        if thread is None and is_reply_subject(envelope.subject) and envelope.customer:
            thread = by_subject.get(subject_key)
        if thread is None:
            thread = thread_id_for(envelope.rfc_message_id or envelope.triage_id)
        threads[envelope.triage_id] = thread
        if envelope.rfc_message_id:
            by_rfc.setdefault(envelope.rfc_message_id, envelope.triage_id)
        if subject_key[0] and envelope.customer:
            by_subject[subject_key] = thread
    return threads


def _from_headers(envelope: Envelope, by_rfc: dict[str, str], threads: dict[str, str]) -> str | None:
    for parent in (*envelope.in_reply_to, *reversed(envelope.references)):
        known = by_rfc.get(parent)
        if known is not None:
            return threads[known]
    named = envelope.references or envelope.in_reply_to
    return thread_id_for(named[0]) if named else None
