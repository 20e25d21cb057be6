"""Earned autonomy end to end: a real dev server, the emulator, real workers.

Shadow holds what the policy would send and counts the reviewers' verdicts;
enough agreement promotes the article to auto; one "should not have been
sent" flag demotes it at once; a history that read the mode before a
promotion replays; the autonomy workflow counts 1,000 verdicts exactly while
continue-as-new keeps its history short.
"""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.autonomy import MAX_VERDICTS_PER_SIGNAL, VerdictBatches
from starter.autonomy import NotFlaggable, NoWorker, flag_sent_reply, read_book, set_mode
from starter.review import decide_current, get_state
from tests.conftest import make_settings, running_worker
from tests.helpers import settled, start_for
from triage.domain import contracts
from triage.domain.autonomy import AutonomyBook, AutonomyState, ModeRequest, Verdict, VerdictReport, rows
from triage.domain.models import AutonomyMode, Category, ModeSource, ReviewAction, TriageStatus
from triage.domain.policy import WOULD_HAVE_SENT
from triage.runtime.config import Settings
from worker.main import WORKFLOWS
from workflows.autonomy import EVENTS_PER_RUN

pytestmark = pytest.mark.slow

# The demo's routine question: the offline model and the policy send it alone.
PASSWORD = {
    "subject": "How do I reset my password?",
    "plain_body": "Hi there,\n\nI forgot my password and can't log in to Acme Help. How do I reset it?\n\nThanks,\nMaya",
}
ARTICLE = "article:password-reset"


def shadow_settings(mailsim, task_queue: str, **overrides) -> Settings:
    return make_settings(mailsim, task_queue, autonomy=AutonomyMode.SHADOW, **overrides)


def shadow_verdict(settings: Settings, n: int, verdict: Verdict = Verdict.AGREE) -> VerdictReport:
    """The verdict of the ``n``-th triage on the password-reset article in shadow mode."""
    return VerdictReport(
        inbox_id=settings.inbox_id,
        workflow_id=f"triage-{n}",
        category=Category.FAQ,
        article_id="password-reset",
        mode=AutonomyMode.SHADOW,
        verdict=verdict,
        settings=settings.autonomy_settings(),
    )


async def routine(client: Client, settings: Settings, control, n: int) -> WorkflowHandle:
    # One sender each: the automatic-reply limit per sender is not what these tests are about.
    return await start_for(
        client, settings, control, **{"from": f"Customer {n} <customer{n}@example.org>"}, **PASSWORD
    )


async def book_when(client: Client, settings: Settings, ready, timeout: float = 20.0) -> AutonomyBook:
    """The autonomy book once ``ready(book)``: verdicts arrive by Signal, a moment after the workflow closes."""
    async with asyncio.timeout(timeout):
        while True:
            book = await read_book(client, settings.temporal_task_queue, settings.inbox_id)
            if ready(book):
                return book
            await asyncio.sleep(0.1)


def row(book: AutonomyBook, settings: Settings, scope: str):
    return next(r for r in rows(book, settings.autonomy_settings()) if r.scope == scope)


async def test_shadow_holds_what_would_be_sent_and_counts_the_verdicts(
    dev_env, mailsim, task_queue, control, offline
):
    client = dev_env.client
    settings = shadow_settings(mailsim, task_queue)
    async with running_worker(client, settings, offline):
        approved, edited = (
            await routine(client, settings, control, 1),
            await routine(client, settings, control, 2),
        )
        closed = await routine(client, settings, control, 3)
        for handle in (approved, edited, closed):
            state = await settled(client, handle)
            assert state.status is TriageStatus.AWAITING_REVIEW
            decision = state.policy_decision
            assert decision is not None and decision.would_auto_send and not decision.auto_send
            assert decision.mode is not None and decision.mode.mode is AutonomyMode.SHADOW
            assert f"shadow mode by default: {WOULD_HAVE_SENT}" in decision.reasons
        await decide_current(client, approved.id, ReviewAction.APPROVE, "alice")
        await decide_current(
            client,
            edited.id,
            ReviewAction.APPROVE,
            "alice",
            body="Hello Maya,\n\nPlease use the reset link on the sign-in page.",
        )
        book = await book_when(client, settings, lambda b: b.verdicts_seen == 2)
        edited_disagreement = row(book, settings, ARTICLE).last_disagreement
        # "No reply needed" is the reviewer's verdict too: the reply the policy wanted to send was not wanted.
        await decide_current(client, closed.id, ReviewAction.CLOSE, "bob")
        book = await book_when(client, settings, lambda b: b.verdicts_seen == 3)
        closed_state = await get_state(client, closed.id)
    assert edited_disagreement is not None and edited_disagreement.workflow_id == edited.id
    assert edited_disagreement.verdict is Verdict.EDITED
    article = row(book, settings, ARTICLE)
    assert (article.window.agree, article.window.disagree, article.mode) == (1, 2, AutonomyMode.SHADOW)
    assert article.last_disagreement is not None and article.last_disagreement.workflow_id == closed.id
    assert (article.last_disagreement.verdict, article.last_disagreement.by) == (Verdict.NO_REPLY, "bob")
    assert closed_state.status is TriageStatus.NO_REPLY_NEEDED
    assert [d.decision.reviewer for d in closed_state.decisions] == ["bob"]
    result = await approved.result()
    assert (result.would_auto_send, result.mode, result.article_id) == (
        True,
        AutonomyMode.SHADOW,
        "password-reset",
    )


async def test_promotion_after_agreement_and_demotion_after_one_flag(
    dev_env, mailsim, task_queue, control, offline, slack_receiver
):
    client = dev_env.client
    settings = shadow_settings(mailsim, task_queue, autonomy_promote_after=3)
    handles = []
    async with running_worker(client, settings, offline, webhook_url=slack_receiver.url):
        for n in range(3):
            handle = await routine(client, settings, control, n)
            handles.append(handle)
            assert (await settled(client, handle)).status is TriageStatus.AWAITING_REVIEW
            await decide_current(client, handle.id, ReviewAction.APPROVE, "alice")
        book = await book_when(client, settings, lambda b: any(c.new is AutonomyMode.AUTO for c in b.changes))
        (promotion,) = book.changes
        assert (promotion.scope, promotion.source, promotion.by) == (ARTICLE, ModeSource.PROMOTED, "autonomy")
        assert "3 of 3 shadow verdicts agreed" in promotion.why

        # Earned: the next password question goes out alone.
        sent_alone = await routine(client, settings, control, 10)
        assert (await settled(client, sent_alone)).status is TriageStatus.AUTO_SENT
        with pytest.raises(NotFlaggable, match="not sent automatically"):
            await flag_sent_reply(client, task_queue, handles[0].id, "bob", "", settings.autonomy_settings())
        with pytest.raises(NoWorker):  # no worker on that queue: refused at once (the Update waited minutes)
            await flag_sent_reply(
                client, f"{task_queue}-nobody", sent_alone.id, "bob", "", settings.autonomy_settings()
            )

        # One flag takes it back at once.
        (demotion,) = await flag_sent_reply(
            client,
            task_queue,
            sent_alone.id,
            "bob",
            "she had already tried the link",
            settings.autonomy_settings(),
        )
        assert (demotion.scope, demotion.new, demotion.source) == (
            ARTICLE,
            AutonomyMode.SHADOW,
            ModeSource.DEMOTED,
        )
        assert (
            await flag_sent_reply(
                client, task_queue, sent_alone.id, "bob", "again", settings.autonomy_settings()
            )
            == []
        )
        held = await routine(client, settings, control, 11)
        state = await settled(client, held)
        assert state.status is TriageStatus.AWAITING_REVIEW
        assert state.policy_decision is not None and state.policy_decision.mode is not None
        assert (state.policy_decision.mode.scope, state.policy_decision.mode.source) == (
            ARTICLE,
            ModeSource.DEMOTED,
        )
        book = await read_book(client, task_queue, settings.inbox_id)
        article = row(book, settings, ARTICLE)
        assert article.last_disagreement is not None and article.last_disagreement.verdict is Verdict.FLAGGED
        assert (article.window.agree, article.window.auto_sent, article.window.disagree) == (3, 1, 1)

        # Each change told the reviewers; the Web UI shows the modes in the autonomy workflow's memo.
        async with asyncio.timeout(10):
            while sum("Autonomy:" in m.get("text", "") for m in slack_receiver.messages) < 2:
                await asyncio.sleep(0.1)
        description = await client.get_workflow_handle(
            contracts.autonomy_id(task_queue, settings.inbox_id)
        ).describe()
        assert (await description.memo_value("modes"))["shadow"] == [ARTICLE]

    # Histories that read the mode before and after the promotion replay to the same decisions.
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=pydantic_data_converter)
    for handle in (*handles, sent_alone):
        await replayer.replay_workflow(await handle.fetch_history())


async def test_a_person_sets_a_mode_and_review_mode_holds_everything(
    dev_env, mailsim, task_queue, control, offline
):
    client = dev_env.client
    settings = make_settings(mailsim, task_queue)  # the seed's default: auto
    async with running_worker(client, settings, offline):
        (change,) = await set_mode(
            client,
            task_queue,
            settings.inbox_id,
            ModeRequest(
                scope="category:faq",
                mode=AutonomyMode.REVIEW,
                by="carol",
                why="new product launch",
                settings=settings.autonomy_settings(),
            ),
        )
        assert (change.old, change.new, change.source, change.by) == (
            AutonomyMode.AUTO,
            AutonomyMode.REVIEW,
            ModeSource.SET,
            "carol",
        )
        state = await settled(client, await routine(client, settings, control, 1))
    assert state.status is TriageStatus.AWAITING_REVIEW
    assert state.classification is not None and state.classification.category is Category.FAQ
    assert f"review mode for category:faq: {WOULD_HAVE_SENT}" in state.policy_decision.reasons


async def test_a_thousand_verdicts_counted_exactly_with_a_bounded_history(dev_env, mailsim, task_queue):
    client = dev_env.client
    settings = shadow_settings(mailsim, task_queue, autonomy_promote_after=10_000)
    workflow_id = contracts.autonomy_id(task_queue, settings.inbox_id)
    verdicts = [Verdict.AGREE] * 960 + [Verdict.EDITED] * 25 + [Verdict.EXPIRED] * 15

    async with running_worker(client, settings):
        handle = await client.start_workflow(
            contracts.AUTONOMY_WORKFLOW,
            AutonomyState(inbox_id=settings.inbox_id),
            id=workflow_id,
            task_queue=task_queue,
            start_signal=contracts.AUTONOMY_VERDICT,
            start_signal_args=[shadow_verdict(settings, 0, verdicts[0])],
        )
        slots = asyncio.Semaphore(32)

        async def send(n: int) -> None:
            async with slots:
                await handle.signal(contracts.AUTONOMY_VERDICT, shadow_verdict(settings, n, verdicts[n]))

        await asyncio.gather(*(send(n) for n in range(1, len(verdicts))))
        await handle.signal(
            contracts.AUTONOMY_VERDICT, shadow_verdict(settings, 5, Verdict.REJECTED)
        )  # a repeated report counts once
        book = await book_when(client, settings, lambda b: b.verdicts_seen >= 1_000, timeout=60)
        article = row(book, settings, ARTICLE)
        assert (
            book.verdicts_seen,
            article.window.agree,
            article.window.disagree,
            article.window.expired,
        ) == (1_000, 960, 25, 15)
        assert article.shadow_verdicts == 985 and article.mode is AutonomyMode.SHADOW
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        assert len(runs) >= 1_000 // EVENTS_PER_RUN  # continued as new
        longest = max(
            [
                len((await client.get_workflow_handle(workflow_id, run_id=r.run_id).fetch_history()).events)
                for r in runs
            ]
        )
        assert longest < 8 * EVENTS_PER_RUN  # a thousand signals, yet no run's history holds them all


async def test_verdicts_reported_together_are_one_signal_each_batch_and_counted_exactly(
    dev_env, mailsim, task_queue
):
    """A burst of closing workflows: their verdicts go in a few Signals, each counted once, retries too."""
    client = dev_env.client
    settings = shadow_settings(mailsim, task_queue, autonomy_promote_after=10_000)
    batches = VerdictBatches(client, task_queue)

    async with running_worker(client, settings):
        await asyncio.gather(*(batches.report(shadow_verdict(settings, n)) for n in range(300)))
        await asyncio.gather(
            *(batches.report(shadow_verdict(settings, n, Verdict.REJECTED)) for n in range(10))
        )  # retried: counted once
        book = await book_when(client, settings, lambda b: b.verdicts_seen >= 300)
    article = row(book, settings, ARTICLE)
    assert (book.verdicts_seen, article.window.agree, article.window.disagree) == (300, 300, 0)
    handle = client.get_workflow_handle(contracts.autonomy_id(task_queue, settings.inbox_id))
    signals = [
        e
        async for e in handle.fetch_history_events()
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    # The first alone, the 299 that came meanwhile in batches of MAX_VERDICTS_PER_SIGNAL, the retries together.
    assert len(signals) <= 1 + -(-299 // MAX_VERDICTS_PER_SIGNAL) + 2


async def test_a_shadow_review_nobody_decides_expires_without_a_verdict(
    time_env, mailsim, task_queue, control, offline
):
    """Time-skipping server: three days pass in a moment; an expiry is counted, but neither way."""
    client = time_env.client
    settings = shadow_settings(mailsim, task_queue)
    async with running_worker(client, settings, offline):
        handle = await routine(client, settings, control, 1)
        result = await handle.result()
        assert (result.status, result.would_auto_send, result.mode) == (
            TriageStatus.EXPIRED,
            True,
            AutonomyMode.SHADOW,
        )
        book = await book_when(client, settings, lambda b: b.verdicts_seen == 1)
    article = row(book, settings, ARTICLE)
    assert (
        article.window.expired,
        article.window.agree,
        article.window.disagree,
        article.shadow_verdicts,
    ) == (1, 0, 0, 0)
    assert article.agree_rate is None and article.last_disagreement is None
