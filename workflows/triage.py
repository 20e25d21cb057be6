"""SupportTriageWorkflow: one durable run per inbound message.

classify -> draft -> save the draft in the inbox -> policy -> auto-send, or
wait (durably, with a reminder and an expiry) for a reviewer's decision.
Orchestration only: every effect is an activity, every decision about
sending is ``triage.policy.decide``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.notifications import notify

with workflow.unsafe.imports_passed_through():
    from activities.autonomy import AutonomyActivities
    from activities.conversation import ConversationActivities
    from activities.mail import MailActivities
    from activities.notify import NotifyActivities
    from triage import search_attributes as sa
    from triage.autonomy import ModeLookup, VerdictReport, verdict_for
    from triage.contracts import (
        NEW_PARTICIPANT_SIGNAL,
        SUPERSEDE_SIGNAL,
        TRIAGE_WORKFLOW,
        JudgeActivity,
        ReviewErrorKind,
        judge_queue_for,
        workflow_id_for,
    )
    from triage.inbound import message_reply_target, reply_subject
    from triage.llm.replies import holding_reply
    from triage.models import (
        AutoReplyAllowance,
        Classification,
        DecisionRecord,
        DiscardDraftRequest,
        DraftReply,
        DraftRequest,
        GuardFlag,
        JoinConversation,
        MessageContext,
        ModeInForce,
        NewParticipant,
        Notification,
        PolicySettings,
        ReserveAutoReply,
        ReviewAction,
        ReviewDecision,
        ReviewOutcome,
        SaveDraftRequest,
        SendDraftRequest,
        Supersede,
        ThreadEntry,
        ThreadRequest,
        TriageInput,
        TriageResult,
        TriageState,
        TriageStatus,
    )
    from triage.outcome import answering_article, article_of, review_summary, triage_result
    from triage.policy import decide
    from triage.senders import mailbox

LLM_TIMEOUT = timedelta(seconds=90)
LLM_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=6,
)
MAIL_TIMEOUT = timedelta(seconds=30)
MAIL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=12,
)

SNIPPET_CHARS = 280
JUDGEMENT_PATCH = "answerability-and-language-checks"
CONVERSATION_PATCH = "conversations"
AUTONOMY_PATCH = "earned-autonomy"
JUDGE_PATCH = "judge-queue"
JUDGE_REDRAFT_PATCH = "judge-queue-redraft"
THREAD_OWNER_PATCH = "thread-belongs-to-sender"
HOW_TO_PATCH = "answered-how-to-is-routine"
MAX_PARTICIPANTS_SHOWN = 10
CONVERSATION_TIMEOUT = timedelta(seconds=60)

# The review loop's answer when a newer message of the conversation took over.
SUPERSEDED_REVIEW = TriageStatus.SUPERSEDED


@workflow.defn(name=TRIAGE_WORKFLOW)
class SupportTriageWorkflow:
    @workflow.init
    def __init__(self, input: TriageInput) -> None:
        self._input = input
        self._state = TriageState(
            workflow_id=workflow.info().workflow_id,
            status=TriageStatus.CLASSIFYING,
            message=input.message,
            started_at=workflow.now(),
        )
        self._queued: tuple[int, ReviewDecision] | None = None
        self._outcomes: dict[int, ReviewOutcome | ApplicationError] = {}
        self._decision_seq = 0
        self._notifications: list[asyncio.Task[None]] = []
        self._superseded: Supersede | None = None
        self._thread: list[ThreadEntry] = []
        self._autonomy = False  # read the mode and report a verdict (workflows started after earned autonomy)

    # ---- queries, updates, signals ------------------------------------------------

    @workflow.query
    def state(self) -> TriageState:
        return self._state

    @workflow.update
    async def review(self, decision: ReviewDecision) -> ReviewOutcome:
        # The validator ran already, but another update may have been queued
        # since; check again now that this handler owns the turn.
        self._check_decision(decision)
        seq = self._enqueue(decision)
        await workflow.wait_condition(lambda: seq in self._outcomes)
        outcome = self._outcomes.pop(seq)
        if isinstance(outcome, ApplicationError):
            raise outcome
        return outcome

    @review.validator
    def _validate_review(self, decision: ReviewDecision) -> None:
        self._check_decision(decision)

    @workflow.signal
    def review_signal(self, decision: ReviewDecision) -> None:
        """Fire-and-forget path (plain ``temporal workflow signal``, workers down)."""
        try:
            self._check_decision(decision)
        except ApplicationError as err:
            workflow.logger.warning("ignoring review signal from %s: %s", decision.reviewer, err)
            return
        self._enqueue(decision)

    @workflow.signal(name=NEW_PARTICIPANT_SIGNAL)
    def new_participant(self, joined: NewParticipant) -> None:
        """Another sender wrote into this message's thread: their message is its own review."""
        self._note_participants([joined.mailbox])

    @workflow.signal(name=SUPERSEDE_SIGNAL)
    def supersede(self, by: Supersede) -> None:
        """A newer message of the same conversation takes over (sent by its ConversationWorkflow)."""
        if self._superseded is None:
            self._superseded = by

    def _check_decision(self, decision: ReviewDecision) -> None:
        status = self._state.status
        if status is not TriageStatus.AWAITING_REVIEW:
            raise ApplicationError(
                f"review is not open (status {status.value})",
                type=ReviewErrorKind.REVIEW_CLOSED,
                non_retryable=True,
            )
        if self._queued is not None:
            raise ApplicationError(
                "another decision is being applied", type=ReviewErrorKind.REVIEW_BUSY, non_retryable=True
            )
        if decision.revision != self._state.revision:
            raise ApplicationError(
                f"decision is for revision {decision.revision}, "
                f"the draft is at revision {self._state.revision}",
                type=ReviewErrorKind.STALE_REVISION,
                non_retryable=True,
            )

    def _enqueue(self, decision: ReviewDecision) -> int:
        self._decision_seq += 1
        self._queued = (self._decision_seq, decision)
        return self._decision_seq

    # ---- main flow ----------------------------------------------------------------

    @workflow.run
    async def run(self, input: TriageInput) -> TriageResult:
        self._set_status(TriageStatus.CLASSIFYING)
        classification = await self._classify()
        self._state.classification = classification
        workflow.upsert_search_attributes(
            [
                sa.TRIAGE_CATEGORY.value_set(classification.category.value),
                sa.TRIAGE_CONFIDENCE.value_set(classification.confidence),
            ]
        )

        context: MessageContext | None = None
        if workflow.patched(CONVERSATION_PATCH):
            context = await self._join_conversation(classification)
            if self._superseded is not None:
                return await self._close_superseded()
            if classification.closing and not context.other_participants:
                # A thank-you closes its sender's own conversation; in someone else's thread
                # it is a message from a stranger, and a human reads it.
                return await self._finish(TriageStatus.NO_REPLY_NEEDED)

        self._set_status(TriageStatus.DRAFTING)
        reply = await self._draft(
            DraftRequest(message=input.message, classification=classification, thread=self._thread)
        )
        if self._superseded is not None:
            return await self._close_superseded()
        try:
            await self._save_draft(reply.body, reply.html_body)
        except ActivityError as err:
            return await self._fail(f"could not save the draft: {err.cause or err}")
        self._accept_draft(reply)

        policy = input.policy
        if not workflow.patched(JUDGEMENT_PATCH):
            # Started before answerability and language checks: decide as it did then.
            policy = policy.model_copy(update={"answer_threshold": None, "checked_languages": None})
        if not workflow.patched(HOW_TO_PATCH):
            # Started before an answered how-to was routine whatever its category: decide as then.
            policy = policy.model_copy(update={"how_to_confidence_threshold": None})
        policy_decision = decide(classification, reply, policy, context)
        self._autonomy = workflow.patched(AUTONOMY_PATCH)
        if policy_decision.auto_send and self._autonomy:
            # Would send: is this answer trusted to go out alone yet (shadow, review or auto)?
            mode = await self._read_mode(classification, reply)
            policy_decision = decide(classification, reply, policy, context, mode)
        if policy_decision.auto_send and context is not None:
            allowance = await self._reserve_auto_reply(policy)
            if not allowance.allowed:
                context.auto_reply_limit_reached = allowance
                policy_decision = decide(classification, reply, policy, context, policy_decision.mode)
        self._state.policy_decision = policy_decision
        if self._superseded is not None:
            return await self._close_superseded()
        if policy_decision.auto_send:
            try:
                await self._send()
                return await self._finish(TriageStatus.AUTO_SENT)
            except ActivityError as err:
                # Could not send on its own: a human takes it from here.
                self._state.error = f"auto-send failed: {err.cause or err}"
                policy_decision.reasons.append("auto-send failed")
                policy_decision.auto_send = False

        status = await self._await_review()
        if status is SUPERSEDED_REVIEW:
            return await self._close_superseded()
        return await self._finish(status)

    # ---- conversations ------------------------------------------------------------

    async def _join_conversation(self, classification: Classification) -> MessageContext:
        """Read the thread; a follow-up joins its conversation (superseding the open review).

        Local activities: a REST read and an update are short, and most messages start a
        thread, so the common case costs the server no activity task and no workflow.
        """
        message = self._input.message
        if not message.thread_id:
            return MessageContext()
        # A thread belongs to its sender: read only this customer's part of it (issue 27).
        customer = (
            (message.reply_address or message.from_address) if workflow.patched(THREAD_OWNER_PATCH) else None
        )
        try:
            view = await workflow.execute_local_activity_method(
                MailActivities.thread_history,
                ThreadRequest(
                    inbox_id=message.inbox_id,
                    thread_id=message.thread_id,
                    message_id=message.message_id,
                    customer=customer,
                ),
                start_to_close_timeout=MAIL_TIMEOUT,
                retry_policy=MAIL_RETRY,
                summary="read the thread",
            )
        except ActivityError as err:
            workflow.logger.warning("thread unavailable, triaging the message alone: %s", err)
            return MessageContext()
        if view.later_inbound_ids:
            # The customer wrote again before this workflow got here: the newer message answers.
            self._superseded = Supersede(
                by_message_id=view.later_inbound_ids[-1],
                by_workflow_id=workflow_id_for(view.later_inbound_ids[-1]),
            )
            return MessageContext(follow_up=bool(view.earlier_inbound_ids))
        self._thread = view.earlier
        self._state.thread = self._thread
        self._note_participants(view.other_participants)
        for other in view.other_inbound_ids:
            # Their reviewers see that someone else wrote into their customer's thread.
            await self._tell_new_participant(workflow_id_for(other), customer or message.from_address)
        if not view.earlier_inbound_ids and not view.earlier:
            # The first message of its thread, or of this sender in someone else's.
            return MessageContext(other_participants=view.other_participants)
        turn = await workflow.execute_local_activity_method(
            ConversationActivities.join_conversation,
            JoinConversation(
                inbox_id=message.inbox_id,
                thread_id=message.thread_id,
                message_id=message.message_id,
                workflow_id=self._state.workflow_id,
                received_at=message.received_at,
                closing=classification.closing,
                earlier_workflow_ids=[workflow_id_for(m) for m in view.earlier_inbound_ids],
                customer=customer,
            ),
            start_to_close_timeout=CONVERSATION_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary="join conversation",
        )
        self._state.conversation = turn
        if turn.superseded_by is not None and self._superseded is None:
            # A newer message of the thread joined first: this one is already answered by it.
            self._superseded = Supersede(by_message_id="", by_workflow_id=turn.superseded_by)
        return MessageContext(follow_up=True, other_participants=view.other_participants)

    def _note_participants(self, mailboxes: list[str]) -> None:
        known = self._state.other_participants
        known.extend(m for m in mailboxes if m not in known and len(known) < MAX_PARTICIPANTS_SHOWN)

    async def _tell_new_participant(self, workflow_id: str, sender: str) -> None:
        handle = workflow.get_external_workflow_handle(workflow_id)
        try:
            await handle.signal(
                NEW_PARTICIPANT_SIGNAL,
                NewParticipant(mailbox=mailbox(sender), message_id=self._input.message.message_id),
            )
        except Exception as err:  # closed already, or never started: nothing to mark
            workflow.logger.info("%s was not told of a new participant: %s", workflow_id, err)

    # ---- earned autonomy --------------------------------------------------------

    async def _read_mode(self, classification: Classification, reply: DraftReply) -> ModeInForce:
        """Through an activity, so a replay after a promotion reads what this run read."""
        article = article_of(reply.answer, reply.citations)
        return await workflow.execute_local_activity_method(
            AutonomyActivities.read_mode,
            ModeLookup(
                inbox_id=self._input.message.inbox_id, category=classification.category, article_id=article
            ),
            start_to_close_timeout=CONVERSATION_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary="read the autonomy mode",
        )

    async def _report_verdict(self, status: TriageStatus) -> None:
        """A reply the policy would have sent: how the humans judged it counts toward its autonomy."""
        decision = self._state.policy_decision
        classification = self._state.classification
        if not self._autonomy or decision is None or not decision.would_auto_send or classification is None:
            return
        actions = {d.decision.action for d in self._state.decisions}
        verdict = verdict_for(
            status,
            self._state.revision,
            ReviewAction.REDRAFT in actions,
            self._state.corrected_category is not None,
            closed_by_reviewer=ReviewAction.CLOSE in actions,
        )
        if verdict is None or decision.mode is None:
            return
        last = self._state.decisions[-1].decision.reviewer if self._state.decisions else None
        try:
            await workflow.execute_local_activity_method(
                AutonomyActivities.report_verdict,
                VerdictReport(
                    inbox_id=self._input.message.inbox_id,
                    workflow_id=self._state.workflow_id,
                    category=classification.category,
                    article_id=answering_article(self._state),
                    mode=decision.mode.mode,
                    verdict=verdict,
                    reviewer=last,
                ),
                start_to_close_timeout=CONVERSATION_TIMEOUT,
                retry_policy=MAIL_RETRY,
                summary=f"report verdict: {verdict.value}",
            )
        except ActivityError as err:
            workflow.logger.warning("verdict not counted: %s", err)

    def _record_correction(self, decision: ReviewDecision) -> None:
        classification = self._state.classification
        if (
            decision.category is None
            or classification is None
            or decision.category == classification.category
        ):
            return
        self._state.corrected_category = decision.category
        workflow.upsert_search_attributes([sa.TRIAGE_CORRECTED.value_set(True)])

    async def _reserve_auto_reply(self, policy: PolicySettings) -> AutoReplyAllowance:
        """Count the reply against its mailbox, its domain and the inbox (however the address is spelled)."""
        message = self._input.message
        return await workflow.execute_local_activity_method(
            ConversationActivities.reserve_auto_reply,
            ReserveAutoReply(
                inbox_id=message.inbox_id,
                sender=message.reply_address or message.from_address,
                workflow_id=self._state.workflow_id,
                limit=policy.auto_reply_limit,
                window=policy.auto_reply_window,
                domain_limit=policy.auto_reply_domain_limit,
                inbox_limit=policy.auto_reply_inbox_limit,
                budget_window=policy.auto_reply_budget_window,
            ),
            start_to_close_timeout=CONVERSATION_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary="count automatic replies to this sender",
        )

    async def _close_superseded(self) -> TriageResult:
        """A newer message of the conversation took over: its draft is never sent."""
        assert self._superseded is not None
        if self._queued is not None:
            seq, _ = self._queued
            self._outcomes[seq] = ApplicationError(
                "the review was superseded by a newer message",
                type=ReviewErrorKind.REVIEW_CLOSED,
                non_retryable=True,
            )
            self._queued = None
        try:
            await self._discard_draft()
        except ActivityError as err:
            self._state.error = f"could not discard the superseded draft: {err.cause or err}"
        self._state.superseded_by = self._superseded.by_workflow_id
        closed = TriageStatus.NO_REPLY_NEEDED if self._superseded.no_reply_needed else TriageStatus.SUPERSEDED
        return await self._finish(closed)

    async def _classify(self) -> Classification:
        try:
            result = await workflow.execute_activity(
                JudgeActivity.CLASSIFY,
                self._input.message,
                result_type=Classification,
                task_queue=self._judge_queue(),
                start_to_close_timeout=LLM_TIMEOUT,
                retry_policy=LLM_RETRY,
                summary="classify",
            )
        except ActivityError as err:
            workflow.logger.warning("classification failed, routing to review: %s", err)
            return Classification.for_review(
                f"classification failed: {err.cause or err}", [GuardFlag.CLASSIFIER_ERROR]
            )
        if result.usage:
            self._state.usage.append(result.usage)
        return result

    async def _draft(self, request: DraftRequest, *, redraft: bool = False) -> DraftReply:
        try:
            reply = await workflow.execute_activity(
                JudgeActivity.DRAFT_REPLY,
                request,
                result_type=DraftReply,
                task_queue=self._judge_queue(redraft),
                start_to_close_timeout=LLM_TIMEOUT,
                retry_policy=LLM_RETRY,
                summary="draft reply",
            )
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

    def _judge_queue(self, redraft: bool = False) -> str | None:
        """The judge workers' queue; None (this workflow's own queue) when replaying calls made before it.

        Redrafts have a patch of their own: a review that waited across the upgrade
        (its classify and draft replaying on its own queue) has its redrafts judged on
        the judge queue. Each patch is one marker and one search-attribute write per run.
        """
        if not workflow.patched(JUDGE_REDRAFT_PATCH if redraft else JUDGE_PATCH):
            return None
        return self._input.judge_task_queue or judge_queue_for(workflow.info().task_queue)

    def _accept_draft(self, reply: DraftReply) -> None:
        self._state.draft_body = reply.body
        self._state.draft_html = reply.html_body
        self._state.citations = reply.citations
        self._state.grounded = reply.grounded
        self._state.revision += 1

    async def _save_draft(self, body: str, html_body: str | None = None) -> None:
        message = self._input.message
        # One parsed address, never the raw From. With none, the draft has no recipient:
        # bad_address sent the message to review, and a send is refused, not misdirected.
        address = message_reply_target(message).address
        self._state.draft_id = await workflow.execute_activity_method(
            MailActivities.save_draft,
            SaveDraftRequest(
                inbox_id=message.inbox_id,
                reply_to_message_id=message.message_id,
                to=[address] if address else [],
                subject=reply_subject(
                    message.subject,
                    self._state.classification.language if self._state.classification else None,
                ),
                body=body,
                draft_id=self._state.draft_id,
                html_body=html_body,
            ),
            start_to_close_timeout=MAIL_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary="save draft",
        )

    async def _send(self) -> None:
        message = self._input.message
        assert self._state.draft_id is not None
        sent = await workflow.execute_activity_method(
            MailActivities.send_draft,
            SendDraftRequest(
                inbox_id=message.inbox_id,
                draft_id=self._state.draft_id,
                reply_to_message_id=message.message_id,
                thread_id=message.thread_id,
            ),
            start_to_close_timeout=MAIL_TIMEOUT,
            retry_policy=MAIL_RETRY,
            summary="send reply",
        )
        self._state.sent_message_id = sent.message_id

    # ---- human review -------------------------------------------------------------

    async def _await_review(self) -> TriageStatus:
        now = workflow.now()
        review = self._input.review
        self._state.review_started_at = now
        self._state.reminder_at = now + review.reminder_after
        self._state.expires_at = now + review.expire_after
        self._set_status(TriageStatus.AWAITING_REVIEW)
        self._notify("review_requested")

        while True:
            deadline = self._state.expires_at if self._state.reminded else self._state.reminder_at
            try:
                await workflow.wait_condition(
                    lambda: self._queued is not None or self._superseded is not None,
                    timeout=max(deadline - workflow.now(), timedelta(seconds=1)),
                )
            except asyncio.TimeoutError:
                if self._state.reminded or self._state.reminder_at >= self._state.expires_at:
                    self._notify("expired")
                    return TriageStatus.EXPIRED
                self._state.reminded = True
                self._notify("reminder")
                continue

            if self._superseded is not None:
                return SUPERSEDED_REVIEW
            assert self._queued is not None
            seq, decision = self._queued
            outcome = await self._apply(decision)
            self._outcomes[seq] = outcome
            self._queued = None
            if isinstance(outcome, ReviewOutcome) and outcome.status.is_terminal:
                return outcome.status

    async def _apply(self, decision: ReviewDecision) -> ReviewOutcome | ApplicationError:
        try:
            status = await self._carry_out(decision)
        except ActivityError as err:
            # The review stays open so the reviewer can try again.
            self._state.error = f"{decision.action.value} failed: {err.cause or err}"
            return ApplicationError(
                self._state.error, type=ReviewErrorKind.DECISION_FAILED, non_retryable=True
            )
        self._record_correction(decision)
        self._state.decisions.append(
            DecisionRecord(
                decision=decision,
                decided_at=workflow.now(),
                status_after=status,
                revision_after=self._state.revision,
            )
        )
        workflow.upsert_search_attributes([sa.TRIAGE_REVIEWER.value_set(decision.reviewer)])
        if self._state.review_started_at is not None:
            workflow.metric_meter().create_histogram_timedelta(
                "triage_review_latency", "Time from review request to a reviewer's decision", "ms"
            ).record(workflow.now() - self._state.review_started_at, {"action": decision.action.value})
        self._set_status(status)
        return ReviewOutcome(
            status=status,
            revision=self._state.revision,
            sent_message_id=self._state.sent_message_id,
        )

    async def _carry_out(self, decision: ReviewDecision) -> TriageStatus:
        match decision.action:
            case ReviewAction.APPROVE:
                if decision.body is not None and decision.body != self._state.draft_body:
                    await self._save_edit(decision.body)
                await self._send()
                return TriageStatus.SENT
            case ReviewAction.REJECT:
                await self._discard_draft()
                return TriageStatus.REJECTED
            case ReviewAction.CLOSE:
                # Only workflows that receive it run it: no replayed history holds a close.
                await self._discard_draft()
                return TriageStatus.NO_REPLY_NEEDED
            case ReviewAction.EDIT:
                assert decision.body is not None
                await self._save_edit(decision.body)
                return TriageStatus.AWAITING_REVIEW
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
                            thread=self._thread,
                        ),
                        redraft=True,
                    )
                    await self._save_draft(reply.body, reply.html_body)
                finally:
                    self._set_status(TriageStatus.AWAITING_REVIEW)
                self._accept_draft(reply)
                self._notify("review_requested")
                return TriageStatus.AWAITING_REVIEW

    async def _save_edit(self, body: str) -> None:
        await self._save_draft(body)  # the HTML part is rendered from the edited text
        self._state.draft_body = body
        self._state.draft_html = None
        self._state.revision += 1

    async def _discard_draft(self) -> None:
        if self._state.draft_id:
            await workflow.execute_activity_method(
                MailActivities.discard_draft,
                DiscardDraftRequest(inbox_id=self._input.message.inbox_id, draft_id=self._state.draft_id),
                start_to_close_timeout=MAIL_TIMEOUT,
                retry_policy=MAIL_RETRY,
                summary="discard draft",
            )

    # ---- notifications, status, completion ----------------------------------------

    def _notify(self, kind: str) -> None:
        """Send in the background: a slow or failing webhook never delays a decision."""
        message = self._input.message
        classification = self._state.classification
        notification = Notification(
            kind=kind,
            workflow_id=self._state.workflow_id,
            revision=self._state.revision,
            category=classification.category if classification else None,
            confidence=classification.confidence if classification else None,
            from_address=message.from_address,
            subject=message.subject,
            snippet=" ".join(message.plain_body.split())[:SNIPPET_CHARS],
            reasons=self._state.policy_decision.reasons if self._state.policy_decision else [],
            due_at=self._state.expires_at if kind == "reminder" else self._state.reminder_at,
        )
        self._notifications.append(
            asyncio.create_task(
                notify(NotifyActivities.notify_reviewer, notification, f"notify: {notification.kind}")
            )
        )

    def _set_status(self, status: TriageStatus) -> None:
        self._state.status = status
        workflow.upsert_search_attributes([sa.TRIAGE_STATUS.value_set(status.value)])
        workflow.set_current_details(review_summary(status, self._state))

    def _record_outcome(self, status: TriageStatus) -> None:
        """Product metrics; the workflow meter is replay-safe (nothing twice)."""
        meter = workflow.metric_meter()
        classification = self._state.classification
        category = classification.category.value if classification else "unknown"
        meter.create_counter("triage_messages", "Messages triaged, by final status").add(
            1, {"status": status.value, "category": category}
        )
        received = self._input.message.received_at or self._state.started_at
        if self._state.sent_message_id and received.tzinfo is not None:
            meter.create_histogram_timedelta(
                "triage_time_to_first_response", "From the message's arrival to the sent reply", "ms"
            ).record(max(workflow.now() - received, timedelta(0)), {"status": status.value})

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
        self._record_outcome(status)
        await self._report_verdict(status)
        return triage_result(self._state, status)
