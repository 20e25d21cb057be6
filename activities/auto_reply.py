"""A reply that goes out without a review, in one activity: reserve, save, send, report.

The triage workflow's lean path asks for these four steps at once
(``triage.domain.auto_reply``): one activity task and one workflow task where
the steps cost four of each. Each step is the adapter it was (the sender's
counter, the mail API, the batched verdicts), and a retry is as safe as the
steps' own retries were: the reservation is keyed by the workflow, a retried
save finds the draft an earlier attempt made, and before saving again a retry
looks in the thread for a reply an earlier attempt already sent.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.autonomy import AutonomyActivities
from activities.conversation import ConversationActivities
from activities.mail import MailActivities, check_single_recipient
from activities.mail_errors import SEND_UNKNOWN, maps_mail_errors
from triage.domain.auto_reply import RepliedAlone, ReplyAlone
from triage.domain.models import SendDraftRequest
from triage.runtime.telemetry import annotate


class AutoReplyActivities:
    """Bound to the process's mail activities and its one conversation and autonomy activities
    (they bound the Updates in flight on a counter and batch the verdicts)."""

    def __init__(
        self, mail: MailActivities, conversation: ConversationActivities, autonomy: AutonomyActivities
    ) -> None:
        self._mail = mail
        self._conversation = conversation
        self._autonomy = autonomy

    @activity.defn
    @maps_mail_errors
    async def reply_alone(self, request: ReplyAlone) -> RepliedAlone:
        allowance = None
        if request.reservation is not None:
            allowance = await self._conversation.reserve_auto_reply(request.reservation)
            if not allowance.allowed:  # held by a budget: the draft waits for a reviewer
                return RepliedAlone(allowance=allowance, draft_id=await self._mail.save_draft(request.draft))
        check_single_recipient(request.draft.to, [])
        draft_id, sent = None, await self._sent_by_an_earlier_attempt(request)
        if sent is None:
            draft_id = await self._mail.save_draft(request.draft)
            reply = await self._mail.send_draft(
                SendDraftRequest(
                    inbox_id=request.draft.inbox_id,
                    draft_id=draft_id,
                    reply_to_message_id=request.draft.reply_to_message_id,
                    thread_id=request.thread_id,
                )
            )
            sent = reply.message_id
        if request.verdict is not None:
            await self._autonomy.report_verdict(request.verdict)
        return RepliedAlone(allowance=allowance, draft_id=draft_id, sent_message_id=sent)

    async def _sent_by_an_earlier_attempt(self, request: ReplyAlone) -> str | None:
        """On a retry: the reply an earlier attempt sent (its draft is gone then), if any."""
        if activity.info().attempt == 1:
            return None
        draft = request.draft
        if await self._mail.saved_draft(draft.inbox_id, draft.reply_to_message_id):
            return None  # saved, not sent: the save finds it again
        if not request.thread_id:
            raise ApplicationError(
                "an earlier attempt may have sent the reply, and without its thread that cannot be "
                "checked: a reviewer decides",
                type=SEND_UNKNOWN,
                non_retryable=True,
            )
        sent = await self._mail.sent_reply(draft.inbox_id, request.thread_id, draft.reply_to_message_id)
        if sent is not None:
            annotate(already_sent=True)
        return sent
