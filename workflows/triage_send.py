"""The triage workflow's steps from judging to sending: the lean path and the send inputs.

``SupportTriageWorkflow`` (``workflows/triage.py``) takes these steps from ``SendSteps``:
the lean path (``versions.LEAN_PATH``: the thread read first, one judge activity that
classifies and drafts, the send decision before the draft is saved, one activity that
reserves, saves, sends and reports a reply sent alone; since ``versions.REVIEW_NOTICE_WITH_DRAFT``
one that saves the draft for review and notifies the reviewers), the send decision's inputs and
the verdict a closed run reports. Orchestration only, like the workflow itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows import gates, triage_calls, triage_thread, versions
from workflows.notifications import review_notification
from workflows.send_inputs import SendInputs, policy_in_force

with workflow.unsafe.imports_passed_through():
    from triage.domain.models import (
        Classification,
        DraftReply,
        DraftRequest,
        Judgement,
        JudgeRequest,
        MessageContext,
        Supersede,
        TriageInput,
        TriageResult,
        TriageState,
        TriageStatus,
    )
    from triage.domain.outcome import article_of, verdict_report


class SendSteps:
    """Steps of ``SupportTriageWorkflow``, which holds the state and the other steps they use."""

    if TYPE_CHECKING:  # what the workflow provides
        _input: TriageInput
        _state: TriageState
        _superseded: Supersede | None
        _autonomy: bool
        _lean: bool
        _verdict_reported: bool
        _review_notified: bool

        def _classified(self, classification: Classification) -> None: ...
        def _accept_draft(self, reply: DraftReply) -> None: ...
        async def _closed_by_thread(
            self, classification: Classification, joined: triage_thread.Joined
        ) -> TriageResult | None: ...
        async def _draft(self, request: DraftRequest, *, redraft: bool = False) -> DraftReply: ...
        async def _close_superseded(self) -> TriageResult: ...
        async def _await_review(self) -> TriageStatus: ...
        async def _finish(self, status: TriageStatus) -> TriageResult: ...
        async def _fail(self, error: str) -> TriageResult: ...

    async def _run_lean(self, input: TriageInput) -> TriageResult:
        """The lean path: the thread read first, one judge activity that classifies and drafts,
        then the send decision before the draft is saved (``_decide_then_reply``)."""
        read = await triage_thread.read_thread(self._state)
        others = (
            read.context.other_participants
            if isinstance(read, triage_thread.Joined)
            else read.other_participants
        )
        judged = await self._judge(
            JudgeRequest(
                message=input.message,
                thread=self._state.thread,
                # A newer message of the thread answers: no draft for this one.
                draft=not (isinstance(read, triage_thread.Joined) and read.newer is not None),
                draft_closing=bool(others),
            )
        )
        classification = judged.classification
        self._classified(classification)
        joined = (
            read
            if isinstance(read, triage_thread.Joined)
            else await triage_thread.join_read(self._state, classification, read)
        )
        if (closed := await self._closed_by_thread(classification, joined)) is not None:
            return closed
        reply = judged.reply
        if reply is None:  # the judging or its drafting failed: drafted again, with the draft's retries
            reply = await self._draft(
                DraftRequest(message=input.message, classification=classification, thread=self._state.thread)
            )
            if self._superseded is not None:
                return await self._close_superseded()
        return await self._decide_then_reply(classification, reply, joined.context)

    async def _gather_send_inputs(
        self,
        classification: Classification,
        reply: DraftReply,
        context: MessageContext | None,
        *,
        reserve: bool = True,
    ) -> SendInputs:
        """The policy in force, then each lookup, made only while the reply could still go out:
        the autonomy mode for its answer, then (``reserve``) the sender's quota (a reservation:
        counted only for a reply that would go out)."""
        policy = policy_in_force(self._input.policy)
        inputs = SendInputs(classification, reply, policy, context)
        self._autonomy = self._lean or workflow.patched(versions.EARNED_AUTONOMY)
        if inputs.could_send() and self._autonomy:
            # Is this answer trusted to go out alone yet (shadow, review or auto)?
            article = article_of(reply.answer, reply.citations)
            inputs.mode = await triage_calls.read_mode(self._input.message, classification.category, article)
        if reserve and context is not None and inputs.could_send():
            allowance = await triage_calls.reserve_auto_reply(
                self._input.message, self._state.workflow_id, policy
            )
            if not allowance.allowed:
                context.auto_reply_limit_reached = allowance
        return inputs

    async def _decide_then_reply(
        self, classification: Classification, reply: DraftReply, context: MessageContext | None
    ) -> TriageResult:
        """The lean path: the decision before the draft is saved. A reply the policy sends alone
        is reserved, saved, sent and reported in one activity; any other is saved for review."""
        inputs = await self._gather_send_inputs(classification, reply, context, reserve=False)
        self._state.policy_decision = decision = inputs.decide()
        if self._superseded is not None:
            return await self._close_superseded()
        self._accept_draft(reply)
        attempted = decision.auto_send
        if decision.auto_send:
            verdict = verdict_report(self._state, TriageStatus.AUTO_SENT) if self._autonomy else None
            reservation = (
                triage_calls.reservation(self._input.message, self._state.workflow_id, inputs.policy)
                if context is not None
                else None
            )
            try:
                replied = await triage_calls.reply_alone(
                    self._state, reply.body, reply.html_body, reservation, verdict
                )
            except ActivityError as err:
                # Could not send on its own: a human takes it from here.
                self._state.error = f"auto-send failed: {err.cause or err}"
                decision.reasons.append("auto-send failed")
                decision.auto_send = False
            else:
                self._state.draft_id = replied.draft_id
                if replied.sent_message_id is not None:
                    self._state.sent_message_id = replied.sent_message_id
                    self._verdict_reported = verdict is not None
                    return await self._finish(TriageStatus.AUTO_SENT)
                assert context is not None and replied.allowance is not None  # held by a budget
                context.auto_reply_limit_reached = replied.allowance
                self._state.policy_decision = inputs.decide()
        if self._state.draft_id is None:
            try:
                # After a failed attempt to send alone, the draft it may have saved is reused.
                await self._save_for_review(reply, reuse_saved=attempted)
            except ActivityError as err:
                return await self._fail(f"could not save the draft: {err.cause or err}")
        status = await self._await_review()
        if status is TriageStatus.SUPERSEDED:
            return await self._close_superseded()
        return await self._finish(status)

    async def _save_for_review(self, reply: DraftReply, *, reuse_saved: bool) -> None:
        """The draft a reviewer will read, saved; since ``REVIEW_NOTICE_WITH_DRAFT`` the reviewers
        are notified by the same activity (the notice says when the reminder is due: the review's
        clock starts when the save is asked for)."""
        if not gates.notice_with_draft():
            self._state.draft_id = await triage_calls.save_draft(
                self._state, reply.body, reply.html_body, reuse_saved=reuse_saved
            )
            return
        now = workflow.now()  # the review's clock, started once the draft is saved
        notice = review_notification("review_requested", self._state).model_copy(
            update={"due_at": now + self._input.review.reminder_after}
        )
        saved = await triage_calls.save_for_review(
            self._state, reply.body, reply.html_body, notice, reuse_saved=reuse_saved
        )
        self._state.draft_id = saved.draft_id
        self._review_notified = saved.notified
        self._start_review_clock(now)

    def _start_review_clock(self, now: datetime) -> None:
        review = self._input.review
        self._state.review_started_at = now
        self._state.reminder_at = now + review.reminder_after
        self._state.expires_at = now + review.expire_after

    async def _judge(self, request: JudgeRequest) -> Judgement:
        try:
            judged = await triage_calls.judge(self._input, request)
        except ActivityError as err:
            return Judgement(classification=triage_calls.classification_failed(err))
        if judged.draft_error:
            workflow.logger.warning("drafting with the classification failed: %s", judged.draft_error)
        self._state.usage.extend(
            u
            for u in (judged.classification.usage, judged.reply.usage if judged.reply else None)
            if u is not None
        )
        return judged

    async def _report_verdict(self, status: TriageStatus) -> None:
        """A reply the policy would have sent: how the humans judged it counts toward its autonomy."""
        if (
            self._verdict_reported
            or not self._autonomy
            or (report := verdict_report(self._state, status)) is None
        ):
            return
        try:
            await triage_calls.report_verdict(report)
        except ActivityError as err:
            workflow.logger.warning("verdict not counted: %s", err)
