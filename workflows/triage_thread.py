"""A triage workflow's thread: read this customer's part of it, and join its conversation.

A follow-up joins its conversation (superseding the open review of the earlier
message); another sender's messages in the thread are their own reviews, and
both sides' reviewers are told (``new_participant``). Orchestration only: the
reads and the join are activities (``workflows.triage_calls``).
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows import gates, triage_calls, versions

with workflow.unsafe.imports_passed_through():
    from triage.domain.contracts import workflow_id_for
    from triage.domain.models import (
        Classification,
        InboundMessage,
        JoinConversation,
        MessageContext,
        Supersede,
        ThreadView,
        TriageState,
    )

MAX_PARTICIPANTS_SHOWN = 10


class Joined:
    """What joining the thread found (a plain class: this module is defined afresh for every run)."""

    def __init__(
        self, context: MessageContext, newer: Supersede | None = None, *, newer_in_thread: bool = False
    ) -> None:
        self.context = context  # for the send policy
        self.newer = newer  # a newer message of the thread took over
        # Seen in the thread itself, it replaces a supersede Signal that came first; told by the
        # conversation at the join, a Signal that came first is kept.
        self.newer_in_thread = newer_in_thread


def note_participants(state: TriageState, mailboxes: list[str]) -> None:
    """Other senders in the thread, shown on the review page (the first few)."""
    known = state.other_participants
    known.extend(m for m in mailboxes if m not in known and len(known) < MAX_PARTICIPANTS_SHOWN)


def customer_of(message: InboundMessage) -> str | None:
    """Whose thread it is (None: runs started before a thread belonged to its sender)."""
    # A thread belongs to its sender: read only this customer's part of it (issue 27).
    if gates.lean() or workflow.patched(versions.THREAD_BELONGS_TO_SENDER):
        return message.reply_address or message.from_address
    return None


async def join_thread(state: TriageState, classification: Classification) -> Joined:
    """The message's context for the send policy, and the newer message that supersedes it, if any.

    Fills ``state``'s thread, other participants and conversation turn as it learns them.
    """
    read = await read_thread(state)
    return read if isinstance(read, Joined) else await join_read(state, classification, read)


async def read_thread(state: TriageState) -> Joined | ThreadView:
    """Read the thread (needs no classification): what it alone decides (no thread, unreadable,
    superseded, the first message), or the view to join the conversation with once classified.

    Fills ``state``'s thread and other participants, and tells the other senders' reviews.
    """
    message = state.message
    if not message.thread_id:
        return Joined(MessageContext())
    customer = customer_of(message)
    try:
        view = await triage_calls.thread_history(message, customer)
    except ActivityError as err:
        workflow.logger.warning("thread unavailable, triaging the message alone: %s", err)
        return Joined(MessageContext())
    if view.later_inbound_ids:
        # The customer wrote again before this workflow got here: the newer message answers.
        newer = view.later_inbound_ids[-1]
        return Joined(
            MessageContext(follow_up=bool(view.earlier_inbound_ids)),
            Supersede(by_message_id=newer, by_workflow_id=workflow_id_for(newer)),
            newer_in_thread=True,
        )
    state.thread = view.earlier
    note_participants(state, view.other_participants)
    for other in view.other_inbound_ids:
        # Their reviewers see that someone else wrote into their customer's thread.
        await triage_calls.tell_new_participant(
            workflow_id_for(other), customer or message.from_address, message.message_id
        )
    if not view.earlier_inbound_ids and not view.earlier:
        # The first message of its thread, or of this sender in someone else's.
        return Joined(MessageContext(other_participants=view.other_participants))
    return view


async def join_read(state: TriageState, classification: Classification, view: ThreadView) -> Joined:
    """A follow-up joins its conversation (``view``: the thread as ``read_thread`` found it)."""
    message = state.message
    assert message.thread_id is not None
    if (
        classification.closing
        and classification.awaits_reply
        and (gates.lean() or workflow.patched(versions.ACKNOWLEDGEMENT_LEAVES_REVIEW_OPEN))
    ):
        # "Thanks, I'll wait for your answer" needs no reply itself, but the review it waits on
        # still does: it does not join, so nothing open in the thread is closed or superseded.
        return Joined(MessageContext(follow_up=True, other_participants=view.other_participants))
    turn = await triage_calls.join_conversation(
        JoinConversation(
            inbox_id=message.inbox_id,
            thread_id=message.thread_id,
            message_id=message.message_id,
            workflow_id=state.workflow_id,
            received_at=message.received_at,
            closing=classification.closing,
            earlier_workflow_ids=[workflow_id_for(m) for m in view.earlier_inbound_ids],
            customer=customer_of(message),
        )
    )
    state.conversation = turn
    context = MessageContext(follow_up=True, other_participants=view.other_participants)
    if turn.superseded_by is not None:
        # A newer message of the thread joined first: this one is already answered by it.
        return Joined(context, Supersede(by_message_id="", by_workflow_id=turn.superseded_by))
    return Joined(context)
