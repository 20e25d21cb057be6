"""Mail models: an inbound email as the workflow sees it, its thread, and the draft/send requests.

Owned by the mail seam (``triage/mail/``, ``activities/mail.py``) and ``triage/domain/inbound.py``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class InboundMessage(BaseModel):
    """One inbound email, as the workflow sees it.

    Bodies are bounded before they enter workflow history (Temporal payloads
    have a size limit); ``body_chars`` keeps the original length so the
    guardrails can still tell an oversized message apart.
    """

    message_id: str
    inbox_id: str
    thread_id: str | None = None
    from_address: str
    to: list[str] = Field(default_factory=list)
    subject: str = ""
    plain_body: str = ""
    html_body: str | None = None
    received_at: datetime | None = None
    body_chars: int = 0
    truncated: bool = False
    # Set by triage.domain.inbound from the parsed From/Reply-To: the one address a
    # reply may go to, or why there is none (then the message goes to review).
    reply_address: str | None = None
    address_problem: str | None = None
    # Set by the mail provider when it reports the sender's SPF/DKIM/DMARC results
    # (triage.domain.senders.authentication_problem); None: passed, or not reported.
    authentication_problem: str | None = None


class ThreadEntry(BaseModel):
    """An earlier message of the conversation, as the drafter sees it (cleaned, bounded)."""

    from_us: bool
    sender: str
    text: str
    received_at: datetime | None = None


class SaveDraftRequest(BaseModel):
    """Create the reply draft (``draft_id`` None) or replace its body."""

    inbox_id: str
    reply_to_message_id: str
    to: list[str]
    subject: str
    body: str
    draft_id: str | None = None
    # The HTML part; None: rendered from ``body`` (a reviewer's edit, the holding reply).
    html_body: str | None = None
    # Look for a draft already saved for the message first (as a retry does): after a failed
    # attempt to send the reply alone, which may have saved one.
    reuse_saved: bool = False


class DiscardDraftRequest(BaseModel):
    inbox_id: str
    draft_id: str


class SendDraftRequest(BaseModel):
    inbox_id: str
    draft_id: str
    reply_to_message_id: str
    thread_id: str | None = None


class SentReply(BaseModel):
    message_id: str
    already_sent: bool = False


class ThreadRequest(BaseModel):
    inbox_id: str
    thread_id: str
    message_id: str  # the message being triaged: it and anything after it are left out
    budget_chars: int = 6_000
    # The customer whose thread this is (the message's sender). Set: the view holds only
    # that customer's messages and our replies to them (triage.domain.senders.same_customer).
    # None (workflows started before): every message of the thread.
    customer: str | None = None


class ThreadView(BaseModel):
    """A message's place in its thread, read over REST."""

    earlier: list[ThreadEntry] = Field(default_factory=list)  # cut to the budget
    earlier_inbound_ids: list[str] = Field(default_factory=list)  # every earlier customer message
    later_inbound_ids: list[str] = Field(default_factory=list)  # customer messages that came after
    # Other senders who wrote into the thread (their mailboxes, never their text), and
    # their earlier messages: each is its own review, and each is told of the other.
    other_participants: list[str] = Field(default_factory=list)
    other_inbound_ids: list[str] = Field(default_factory=list)
