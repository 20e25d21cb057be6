"""SupportTriageWorkflow: one durable run per inbound message.

classify -> join the conversation -> draft -> save the draft in the inbox ->
the send decision -> auto-send, or wait (durably, with a reminder and an
expiry) for a reviewer's decision. Orchestration only: every effect is an
activity (``workflows.triage_calls``), the send decision is one call of
``triage.domain.policy.decide`` once its inputs are gathered, the review's phases are
``triage.domain.review_state``, and the version gates are ``workflows.versions``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import gates, metrics, triage_calls, triage_thread, versions
from workflows.notifications import notify_review
from workflows.triage_send import SendSteps

with workflow.unsafe.imports_passed_through():
    from triage.domain import search_attributes as sa
    from triage.domain.contracts import (
        NEW_PARTICIPANT_SIGNAL,
        REVIEW_SIGNAL,
        REVIEW_UPDATE,
        STATE_QUERY,
        SUPERSEDE_SIGNAL,
        TRIAGE_WORKFLOW,
        ReviewErrorKind,
    )
    from triage.domain.models import (
        Classification,
        DecisionRecord,
        DraftReply,
        DraftRequest,
        MessageContext,
        NewParticipant,
        ReviewAction,
        ReviewDecision,
        ReviewOutcome,
        Supersede,
        TriageInput,
        TriageResult,
        TriageState,
        TriageStatus,
    )
    from triage.domain.outcome import review_summary, triage_result
    from triage.domain.replies import holding_reply
    from triage.domain.review_state import ReviewPhase, ReviewState


@workflow.defn(name=TRIAGE_WORKFLOW)
class SupportTriageWorkflow(SendSteps):
    @workflow.init
    def __init__(self, input: TriageInput) -> None:
        self._input = input
        self._state = TriageState(
            workflow_id=workflow.info().workflow_id,
            status=TriageStatus.CLASSIFYING,
            message=input.message,
            started_at=workflow.now(),
        )
        self._review = ReviewState()
        self._notifications: list[asyncio.Task[None]] = []
        self._superseded: Supersede | None = None
        self._autonomy = False  # read the mode and report a verdict (workflows started after earned autonomy)
        self._lean = False  # the lean path (versions.LEAN_PATH)
        self._unshown: list[SearchAttributeUpdate[Any]] = []  # upserted with the next status (the lean path)
        self._shown: TriageStatus | None = None  # the status last upserted (the lean path)
        self._verdict_reported = False  # with the reply sent alone (the lean path)
        self._review_notified = False  # with the draft's save (versions.REVIEW_NOTICE_WITH_DRAFT)

    # ---- queries, updates, signals ------------------------------------------------

    @workflow.query(name=STATE_QUERY)
    def state(self) -> TriageState:
        return self._state

    @workflow.update(name=REVIEW_UPDATE)
    async def review(self, decision: ReviewDecision) -> ReviewOutcome:
        # The validator ran already, but another update may have been taken since:
        # the review's state checks again now that this handler owns the turn.
        seq = self._review.take(decision, self._state.revision, self._state.status)
        await workflow.wait_condition(lambda: self._review.answered(seq))
        return self._review.outcome(seq)

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        self._review.check(decision, self._state.revision, self._state.status)

    @workflow.signal(name=REVIEW_SIGNAL)
    def review_signal(self, decision: ReviewDecision) -> None:
        """Fire-and-forget path (plain ``temporal workflow signal``, workers down)."""
        try:
            self._review.take(decision, self._state.revision, self._state.status)
        except ApplicationError as err:
            workflow.logger.warning("ignoring review signal from %s: %s", decision.reviewer, err)

    @workflow.signal(name=NEW_PARTICIPANT_SIGNAL)
    def new_participant(self, joined: NewParticipant) -> None:
        """Another sender wrote into this message's thread: their message is its own review."""
        triage_thread.note_participants(self._state, [joined.mailbox])

    @workflow.signal(name=SUPERSEDE_SIGNAL)
    def supersede(self, by: Supersede) -> None:
        """A newer message of the same conversation takes over (sent by its ConversationWorkflow)."""
        if self._superseded is None:
            self._superseded = by

    # ---- main flow ----------------------------------------------------------------

    @workflow.run
    async def run(self, input: TriageInput) -> TriageResult:
        self._lean = gates.lean()  # the first gate a run asks
        # The starter sets the first status with the start (starter/start.py): on the lean path
        # it is not upserted again.
        started_classifying = (
            workflow.info().typed_search_attributes.get(sa.TRIAGE_STATUS) == TriageStatus.CLASSIFYING
        )
        if self._lean and started_classifying:
            self._shown = TriageStatus.CLASSIFYING
        self._set_status(TriageStatus.CLASSIFYING)
        if self._lean:
            return await self._run_lean(input)
        classification = await self._classify()
        self._classified(classification)

        context: MessageContext | None = None
        if workflow.patched(versions.CONVERSATIONS):
            joined = await triage_thread.join_thread(self._state, classification)
            if (closed := await self._closed_by_thread(classification, joined)) is not None:
                return closed
            context = joined.context

        self._set_status(TriageStatus.DRAFTING)
        reply = await self._draft(
            DraftRequest(message=input.message, classification=classification, thread=self._state.thread)
        )
        if self._superseded is not None:
            return await self._close_superseded()
        try:
            await self._save_draft(reply.body, reply.html_body)
        except ActivityError as err:
            return await self._fail(f"could not save the draft: {err.cause or err}")
        self._accept_draft(reply)

        # The send decision, in one place, once everything it reads is gathered.
        inputs = await self._gather_send_inputs(classification, reply, context)
        self._state.policy_decision = decision = inputs.decide()
        if self._superseded is not None:
            return await self._close_superseded()
        if decision.auto_send:
            try:
                await self._send()
                return await self._finish(TriageStatus.AUTO_SENT)
            except ActivityError as err:
                # Could not send on its own: a human takes it from here.
                self._state.error = f"auto-send failed: {err.cause or err}"
                decision.reasons.append("auto-send failed")
                decision.auto_send = False

        status = await self._await_review()
        if status is TriageStatus.SUPERSEDED:
            return await self._close_superseded()
        return await self._finish(status)

    def _classified(self, classification: Classification) -> None:
        self._state.classification = classification
        self._show(
            sa.TRIAGE_CATEGORY.value_set(classification.category.value),
            sa.TRIAGE_CONFIDENCE.value_set(classification.confidence),
        )

    async def _closed_by_thread(
        self, classification: Classification, joined: triage_thread.Joined
    ) -> TriageResult | None:
        """Closed by what the thread says: superseded by a newer message, or a thank-you."""
        if joined.newer is not None and (joined.newer_in_thread or self._superseded is None):
            self._superseded = joined.newer
        if self._superseded is not None:
            return await self._close_superseded()
        if classification.closing and not joined.context.other_participants:
            # A thank-you closes its sender's own conversation; in someone else's thread
            # it is a message from a stranger, and a human reads it.
            return await self._finish(TriageStatus.NO_REPLY_NEEDED)
        return None

    # ---- a newer message took over -------------------------------------------------

    async def _close_superseded(self) -> TriageResult:
        """A newer message of the conversation took over: its draft is never sent."""
        assert self._superseded is not None
        self._review.supersede()  # a decision queued but not begun is refused
        try:
            await self._discard_draft()
        except ActivityError as err:
            self._state.error = f"could not discard the superseded draft: {err.cause or err}"
        self._state.superseded_by = self._superseded.by_workflow_id
        closed = TriageStatus.NO_REPLY_NEEDED if self._superseded.no_reply_needed else TriageStatus.SUPERSEDED
        return await self._finish(closed)

    # ---- judging and the draft --------------------------------------------------------

    async def _classify(self) -> Classification:
        try:
            result = await triage_calls.classify(self._input)
        except ActivityError as err:
            return triage_calls.classification_failed(err)
        if result.usage:
            self._state.usage.append(result.usage)
        return result

    async def _draft(self, request: DraftRequest, *, redraft: bool = False) -> DraftReply:
        try:
            reply = await triage_calls.draft(self._input, request, redraft=redraft)
        except ActivityError as err:
            if request.instructions:
                raise  # a redraft that cannot be done is the reviewer's to hear about
            workflow.logger.warning("drafting failed, using the holding reply: %s", err)
            self._state.error = f"drafting failed: {err.cause or err}"
            brand = self._input.policy.brand_name
            return DraftReply(body=request.previous_body or holding_reply(brand), grounded=False)
        if reply.usage:
            self._state.usage.append(reply.usage)
        return reply

    def _accept_draft(self, reply: DraftReply) -> None:
        self._state.draft_body = reply.body
        self._state.draft_html = reply.html_body
        self._state.citations = reply.citations
        self._state.grounded = reply.grounded
        self._state.revision += 1

    async def _save_draft(self, body: str, html_body: str | None = None) -> None:
        self._state.draft_id = await triage_calls.save_draft(self._state, body, html_body)

    async def _send(self) -> None:
        assert self._state.draft_id is not None
        self._state.sent_message_id = await triage_calls.send_draft(self._input.message, self._state.draft_id)

    async def _discard_draft(self) -> None:
        if self._state.draft_id:
            await triage_calls.discard_draft(self._input.message, self._state.draft_id)

    # ---- human review -------------------------------------------------------------

    async def _await_review(self) -> TriageStatus:
        """Wait for decisions until one closes the review, it expires or a newer message takes over."""
        if self._state.review_started_at is None:  # else started with the draft's save and notice
            self._start_review_clock(workflow.now())
        self._set_status(TriageStatus.AWAITING_REVIEW)
        self._review.open()
        if not self._review_notified:
            self._notify("review_requested")
        reminder_at, expires_at = self._state.reminder_at, self._state.expires_at
        assert reminder_at is not None and expires_at is not None

        while True:
            deadline = expires_at if self._state.reminded else reminder_at
            try:
                await workflow.wait_condition(
                    lambda: self._review.queued is not None or self._superseded is not None,
                    timeout=max(deadline - workflow.now(), timedelta(seconds=1)),
                )
            except asyncio.TimeoutError:
                if self._state.reminded or reminder_at >= expires_at:
                    self._review.time_out()
                    self._notify("expired")
                    return self._review.status
                self._state.reminded = True
                self._notify("reminder")
                continue

            if self._superseded is not None:
                return TriageStatus.SUPERSEDED  # closed by _close_superseded
            assert self._review.queued is not None
            _, decision = self._review.queued
            await self._apply(decision)
            if self._review.phase is not ReviewPhase.PENDING:
                return self._review.status

    async def _apply(self, decision: ReviewDecision) -> None:
        try:
            await self._carry_out(decision)
        except ActivityError as err:
            # The review stays open so the reviewer can try again.
            self._state.error = f"{decision.action.value} failed: {err.cause or err}"
            self._review.failed(
                ApplicationError(self._state.error, type=ReviewErrorKind.DECISION_FAILED, non_retryable=True)
            )
            return
        status = self._review.applied()
        self._record_correction(decision)
        self._state.decisions.append(
            DecisionRecord(
                decision=decision,
                decided_at=workflow.now(),
                status_after=status,
                revision_after=self._state.revision,
            )
        )
        self._show(sa.TRIAGE_REVIEWER.value_set(decision.reviewer))
        metrics.record_review_latency(self._state, decision.action)
        self._set_status(status)
        self._review.answer(
            ReviewOutcome(
                status=status, revision=self._state.revision, sent_message_id=self._state.sent_message_id
            )
        )

    async def _carry_out(self, decision: ReviewDecision) -> None:
        match decision.action:
            case ReviewAction.APPROVE:
                if decision.body is not None and decision.body != self._state.draft_body:
                    await self._save_edit(decision.body)
                await self._send()
            case ReviewAction.REJECT | ReviewAction.CLOSE:
                # A close only runs in workflows that receive it: no replayed history holds one.
                await self._discard_draft()
            case ReviewAction.EDIT:
                assert decision.body is not None
                await self._save_edit(decision.body)
            case ReviewAction.REDRAFT:
                self._set_status(TriageStatus.DRAFTING)
                assert self._state.classification is not None
                try:
                    reply = await self._draft(
                        DraftRequest(
                            message=self._input.message,
                            classification=self._state.classification,
                            instructions=decision.instructions,
                            previous_body=self._state.draft_body,
                            thread=self._state.thread,
                        ),
                        redraft=True,
                    )
                    await self._save_draft(reply.body, reply.html_body)
                finally:
                    self._set_status(TriageStatus.AWAITING_REVIEW)
                self._accept_draft(reply)
                self._notify("review_requested")

    async def _save_edit(self, body: str) -> None:
        await self._save_draft(body)  # the HTML part is rendered from the edited text
        self._state.draft_body = body
        self._state.draft_html = None
        self._state.revision += 1

    def _record_correction(self, decision: ReviewDecision) -> None:
        classification = self._state.classification
        if decision.category is not None and classification and decision.category != classification.category:
            self._state.corrected_category = decision.category
            self._show(sa.TRIAGE_CORRECTED.value_set(True))

    # ---- notifications, status, completion ----------------------------------------

    def _notify(self, kind: str) -> None:
        """In the background: a slow or failing webhook never delays a decision."""
        self._notifications.append(notify_review(kind, self._state))

    def _show(self, *updates: SearchAttributeUpdate[Any]) -> None:
        """Search attributes: upserted now, or on the lean path with the status that follows them."""
        if self._lean:
            self._unshown.extend(updates)
        else:
            workflow.upsert_search_attributes(list(updates))

    def _set_status(self, status: TriageStatus, *, upsert: bool = True) -> None:
        """The status in the state (queries), and, with ``upsert``, in visibility with what waited
        for it (on the lean path, only when either changed)."""
        self._state.status = status
        if upsert and not (self._lean and status is self._shown and not self._unshown):
            workflow.upsert_search_attributes([sa.TRIAGE_STATUS.value_set(status.value), *self._unshown])
            self._unshown, self._shown = [], status
        workflow.set_current_details(review_summary(status, self._state))

    async def _fail(self, error: str) -> TriageResult:
        self._state.error = error
        return await self._finish(TriageStatus.FAILED)

    async def _finish(self, status: TriageStatus) -> TriageResult:
        self._set_status(status)
        self._state.finished_at = workflow.now()
        # A pending "please review" is moot once decided; an expiry notice is not.
        for task in self._notifications:
            if status is not TriageStatus.EXPIRED:
                task.cancel()
        await asyncio.gather(*self._notifications, return_exceptions=True)
        await workflow.wait_condition(workflow.all_handlers_finished)
        metrics.record_outcome(self._state, status)
        await self._report_verdict(status)
        return triage_result(self._state, status)
