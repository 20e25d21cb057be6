"""A reply that goes out without a review, as one request: reserve it, save it, send it, report it.

The triage workflow's lean path (``workflows/versions.py``, ``LEAN_PATH``) makes
these four steps one activity (``activities/auto_reply.py``): one activity
task, one workflow task and three events instead of four of each.
"""

from __future__ import annotations

from pydantic import BaseModel

from triage.domain.autonomy.book import VerdictReport
from triage.domain.models import AutoReplyAllowance, ReserveAutoReply, SaveDraftRequest


class ReplyAlone(BaseModel):
    """Send ``draft`` without a review, if the sender's budgets allow it."""

    draft: SaveDraftRequest  # a new draft (no ``draft_id``)
    thread_id: str | None = None  # where a retry looks for the reply an earlier attempt sent
    reservation: ReserveAutoReply | None = None  # None: nothing to count (no conversation)
    verdict: VerdictReport | None = None  # reported once the reply is sent (earned autonomy)


class RepliedAlone(BaseModel):
    """What became of it: sent, or held by a budget with its draft saved for a reviewer."""

    allowance: AutoReplyAllowance | None = None  # the reservation's answer (None: none asked)
    draft_id: str | None = None  # None: an earlier attempt sent it, the draft is gone
    sent_message_id: str | None = None  # None: held by a budget
