"""Simulated reviewers deciding on pending reviews while the faults run."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable

from temporalio.client import Client
from temporalio.service import RPCError

from starter.review import ReviewRejected, decide_current, get_state, list_reviews, review_closed
from triage.domain.contracts import WORKFLOW_ID_PREFIX, ReviewErrorKind
from triage.domain.models import ReviewAction

REVIEW_TIMEOUT = 20.0  # one decision, worker or server down included


class Reviewers:
    """Reviewers deciding on pending reviews while the faults run, through ``starter.review``.

    Most decisions go through the Update; some through the Signal; some are two
    reviewers racing on the same revision, or an approval of the revision a
    redraft just replaced, so that the workflow must refuse one. A reviewer also
    approves the email a follow-up just answered: usually its review is closed
    by then (superseded: ``ReviewClosed``, expected), sometimes the approval
    wins the race and the follow-up waits on its own. Every outcome, refusals
    and unavailability included, is counted, never raised.
    """

    def __init__(self, client: Client, rng: random.Random, interval: float) -> None:
        self._client, self._rng, self._interval = client, rng, interval
        self.outcomes: Counter[str] = Counter()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._followed_up: list[str] = []  # message ids a follow-up was just posted for

    def followed_up(self, message_id: str) -> None:
        self._followed_up.append(message_id)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self._followed_up and self._rng.random() < 0.5:
                workflow_id = f"{WORKFLOW_ID_PREFIX}{self._followed_up.pop(0)}"
                self._spawn(self._approve_followed_up(workflow_id))
            elif len(self._in_flight) < 4:
                await self._pick_and_decide()
            try:
                await asyncio.wait_for(stop.wait(), self._interval)
            except TimeoutError:
                pass
        await asyncio.gather(*self._in_flight)

    async def _pick_and_decide(self) -> None:
        try:
            pending, _ = await list_reviews(self._client, limit=50)
        except Exception as err:  # the server may be down right now: that is the point
            self.outcomes[f"list_failed_{type(err).__name__}"] += 1
            return
        if not pending:
            return
        workflow_id = self._rng.choice(pending).workflow_id
        roll = self._rng.random()
        if roll < 0.1:
            first, second = self._rng.sample(
                [ReviewAction.APPROVE, ReviewAction.REJECT, ReviewAction.REDRAFT], 2
            )
            self._spawn(self._race(workflow_id, first, second))
        elif roll < 0.2:
            self._spawn(self._late_approval(workflow_id))
        elif roll < 0.35:
            self._spawn(self._decide(workflow_id, self._approve_or_reject(), signal=True))
        else:
            self._spawn(self._decide(workflow_id, self._approve_or_reject()))

    def _approve_or_reject(self) -> ReviewAction:
        return ReviewAction.APPROVE if self._rng.random() < 0.6 else ReviewAction.REJECT

    def _spawn(self, decision: Awaitable[None]) -> None:
        task = asyncio.ensure_future(decision)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _current_revision(self, workflow_id: str) -> int | None:
        try:
            return (await get_state(self._client, workflow_id)).revision
        except Exception as err:  # no worker to answer the query, or no server
            self.outcomes[f"unavailable_{type(err).__name__}"] += 1
            return None

    async def _race(self, workflow_id: str, first: ReviewAction, second: ReviewAction) -> None:
        """Two reviewers, one revision: exactly one decision may take effect."""
        revision = await self._current_revision(workflow_id)
        if revision is None:
            return
        await asyncio.gather(
            self._decide(workflow_id, first, revision=revision),
            self._decide(workflow_id, second, revision=revision),
        )

    async def _approve_followed_up(self, workflow_id: str) -> None:
        """An approval of the email a follow-up just answered: usually refused (ReviewClosed)."""
        revision = await self._current_revision(workflow_id)
        if revision is None:
            return
        if revision < 1:  # still classifying or drafting: nothing to approve yet
            self.outcomes["followed_up_no_draft_yet"] += 1
            return
        await self._decide(workflow_id, ReviewAction.APPROVE, revision=revision, label="followed_up")

    async def _late_approval(self, workflow_id: str) -> None:
        """A redraft, then an approval of the revision it replaced: refused as stale."""
        revision = await self._current_revision(workflow_id)
        if revision is None:
            return
        await self._decide(workflow_id, ReviewAction.REDRAFT, revision=revision)
        await self._decide(workflow_id, ReviewAction.APPROVE, revision=revision)

    async def _decide(
        self,
        workflow_id: str,
        action: ReviewAction,
        *,
        revision: int | None = None,
        signal: bool = False,
        label: str | None = None,
    ) -> None:
        path = "signal" if signal else "update"
        prefix = f"{label}_" if label else ""
        try:
            async with asyncio.timeout(REVIEW_TIMEOUT):
                await decide_current(
                    self._client,
                    workflow_id,
                    action,
                    f"chaos-{path}",
                    revision=revision,
                    reason="chaos run" if action is ReviewAction.REJECT else None,
                    instructions="shorter, please" if action is ReviewAction.REDRAFT else None,
                    wait=not signal,
                )
            self.outcomes[f"{prefix}{path}_{action.value}"] += 1
        except ReviewRejected as err:
            self.outcomes[f"{prefix}refused_{err.kind}"] += 1
        except RPCError as err:
            if review_closed(err):
                # A Signal (or the revision's query) for a review that closed meanwhile.
                self.outcomes[f"{prefix}refused_{ReviewErrorKind.REVIEW_CLOSED}_{path}"] += 1
            else:
                self.outcomes[f"{prefix}unavailable_{type(err).__name__}"] += 1
        except Exception as err:  # worker or server down, a timeout: expected under chaos
            self.outcomes[f"{prefix}unavailable_{type(err).__name__}"] += 1
