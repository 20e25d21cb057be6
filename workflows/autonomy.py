"""AutonomyWorkflow: one per inbox, the record of which answers have earned autonomy.

Triage workflows report a verdict when they close a reply the policy would
have sent: their worker sends the verdicts that arrive together as one Signal
(through signal-with-start), so the inbox's one workflow takes an event per
batch, not per message; reviewers flag a wrong
automatic reply and people set modes (Updates, through update-with-start,
which answer with the change made). The workflow keeps per-article and
per-category counts over a rolling window, promotes and demotes by the rules
in ``triage.domain.autonomy``, tells the reviewers (Slack) and shows the modes in
force in the Web UI (memo and current details). It never ends: it continues
as new every few hundred events, so its history stays short however long the
inbox lives.

Orchestration only: no I/O, time from ``workflow.now()``.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.notifications import notify

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from triage.domain import autonomy
    from triage.domain.autonomy import (
        AutonomyBook,
        AutonomySettings,
        AutonomyState,
        FlagReport,
        ModeChange,
        ModeRequest,
        VerdictReport,
    )
    from triage.domain.contracts import (
        AUTONOMY_BOOK,
        AUTONOMY_CONFIGURE,
        AUTONOMY_FLAG,
        AUTONOMY_OVERRIDES_MEMO,
        AUTONOMY_SET_MODE,
        AUTONOMY_VERDICT,
        AUTONOMY_VERDICTS,
        TOO_MANY_SCOPES,
    )
    from triage.domain.models import AutonomyMode

# Events handled before continuing as new: ~4 history events each, far below the limits.
EVENTS_PER_RUN = 500
# Reports remembered by triage workflow id: a retried report or a second flag counts once.
REMEMBERED_REPORTS = 5_000


def modes_memo(book: AutonomyBook) -> dict[str, list[str]]:
    """Scopes a change put in each mode: what the Web UI shows beside the workflow."""
    memo: dict[str, list[str]] = {mode.value: [] for mode in AutonomyMode}
    for scope, override in autonomy.overrides_of(book).items():
        memo[override.mode.value].append(scope)
    return memo


def summary(inbox_id: str, book: AutonomyBook) -> str:
    lines = [f"**autonomy** for inbox `{inbox_id}`: {book.verdicts_seen} verdicts"]
    for mode, scopes in modes_memo(book).items():
        if scopes:
            lines.append(f"{mode}: " + ", ".join(f"`{s}`" for s in scopes))
    for change in book.changes[-5:]:
        lines.append(
            f"{change.at:%Y-%m-%d %H:%M} `{change.scope}` {change.old} → {change.new} ({change.source})"
        )
    return "\n\n".join(lines)


def _remember(ids: list[str], workflow_id: str) -> bool:
    """False if already there; keeps the newest REMEMBERED_REPORTS."""
    if workflow_id in ids:
        return False
    ids.append(workflow_id)
    del ids[:-REMEMBERED_REPORTS]
    return True


@workflow.defn
class AutonomyWorkflow:
    @workflow.init
    def __init__(self, input: AutonomyState) -> None:
        self._input = input
        self._events = 0
        self._notifications: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, input: AutonomyState) -> None:
        self._show()
        await workflow.wait_condition(
            lambda: self._events >= EVENTS_PER_RUN or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        await asyncio.gather(*self._notifications, return_exceptions=True)
        # The memo goes along: the mode lookup must never see a run without it.
        workflow.continue_as_new(self._input, memo=self._memo())

    @workflow.query(name=AUTONOMY_BOOK)
    def book(self) -> AutonomyBook:
        return self._input.book

    @workflow.signal(name=AUTONOMY_VERDICT)
    def verdict(self, report: VerdictReport) -> None:
        self._events += 1
        self._record(report)

    @workflow.signal(name=AUTONOMY_VERDICTS)
    def verdicts(self, reports: list[VerdictReport]) -> None:
        """A batch: one event for all the verdicts a worker had to report at once."""
        self._events += 1
        for report in reports:
            self._record(report)

    def _record(self, report: VerdictReport) -> None:
        if _remember(self._input.reported, report.workflow_id):
            self._applied(autonomy.record_verdict(self._input.book, report, workflow.now()))

    @workflow.signal(name=AUTONOMY_CONFIGURE)
    def configure(self, settings: AutonomySettings) -> None:
        """A worker started with these settings: the modes shown are the ones it applies."""
        self._events += 1
        self._input.book.settings = settings
        self._show()

    @workflow.update(name=AUTONOMY_FLAG)
    def flag(self, report: FlagReport) -> list[ModeChange]:
        self._events += 1
        if not _remember(self._input.flagged, report.workflow_id):
            return []
        # The workers' configuration, not the flagging person's, decides what is demoted.
        report = report.model_copy(update={"settings": self._input.book.settings or report.settings})
        return self._applied(autonomy.record_flag(self._input.book, report, workflow.now()))

    @workflow.update(name=AUTONOMY_SET_MODE)
    def set_mode(self, request: ModeRequest) -> list[ModeChange]:
        self._events += 1
        settings = self._input.book.settings or request.settings
        change = autonomy.set_mode(self._input.book, settings, request, workflow.now())
        return self._applied([change] if change else [])

    @set_mode.validator
    def _validate_set_mode(self, request: ModeRequest) -> None:
        # Refused before it is recorded: the memo of modes stays bounded.
        if (problem := autonomy.too_many_scopes(self._input.book, request.scope)) is not None:
            raise ApplicationError(problem, type=TOO_MANY_SCOPES, non_retryable=True)

    def _applied(self, changes: list[ModeChange]) -> list[ModeChange]:
        if changes:
            self._show()
            for change in changes:
                summary = f"notify: {change.scope} {change.new}"
                self._notifications.append(
                    asyncio.create_task(notify(NotifyActivities.notify_mode_change, change, summary))
                )
        return changes

    def _memo(self) -> dict[str, object]:
        book = self._input.book
        overrides = {
            scope: mode.model_dump(mode="json") for scope, mode in autonomy.overrides_of(book).items()
        }
        return {"modes": modes_memo(book), AUTONOMY_OVERRIDES_MEMO: overrides}

    def _show(self) -> None:
        workflow.upsert_memo(self._memo())
        workflow.set_current_details(summary(self._input.inbox_id, self._input.book))
