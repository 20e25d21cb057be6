"""The planned emails, posted to the emulator on their schedule, and what it made of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.chaos.plan import PlannedEmail, sleep_until
from triage.domain.senders import mailbox


@dataclass(frozen=True)
class InjectedEmail:
    """What the emulator made of a planned email."""

    message_id: str
    kind: str
    thread_id: str
    sender: str  # the mailbox alone (triage.domain.senders.mailbox), as the reply budgets count it
    parent: str | None = None  # message id


async def post_email(
    control: httpx.AsyncClient, email: PlannedEmail, injected: dict[int, InjectedEmail]
) -> InjectedEmail:
    parent = injected[email.parent] if email.parent is not None else None
    payload = {"from": email.sender, "subject": email.subject, "plain_body": email.body}
    if parent is not None:
        payload["thread_id"] = parent.thread_id
    response = await control.post("/_sim/inbound", json=payload)
    response.raise_for_status()
    answer = response.json()
    address = mailbox(email.sender)  # one mailbox however it is spelled, as the counters see it
    record = InjectedEmail(
        answer["message_id"], email.kind, answer["thread_id"], address, parent.message_id if parent else None
    )
    injected[email.index] = record
    return record


async def inject_messages(
    control: httpx.AsyncClient,
    emails: list[PlannedEmail],
    injected: dict[int, InjectedEmail],
    started: float,
    on_follow_up: Callable[[str], None] | None = None,
) -> None:
    """Posts the stream on its schedule into ``injected`` (by plan index); a follow-up's
    parent message id goes to ``on_follow_up`` (reviewers decide on it: often refused)."""
    for email in emails:
        await sleep_until(started + email.at)
        record = await post_email(control, email, injected)
        if record.parent is not None and on_follow_up is not None:
            on_follow_up(record.parent)
