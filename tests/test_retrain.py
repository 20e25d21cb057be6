"""Corrections become training data; a retrain gate refuses poison and promotes good data.

Real dev server, emulator and workers: reviewers correct categories at
decision time, the corrections are read back from Temporal (visibility plus
each workflow's result), the RetrainWorkflow fits, measures and decides, and a
promoted model is what the next classification runs on.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from temporalio.client import Client

from starter.retraining import start_retrain
from starter.review import decide_current, get_state
from tests.conftest import make_settings, running_worker
from tests.helpers import start_for
from triage.domain.corrections import iter_corrections
from triage.domain.models import Category, Correction, ReviewAction, TriageStatus
from triage.judging.factory import offline_provider
from triage.judging.gate import GateSettings, RetrainReport, RetrainRequest
from triage.judging.kb import KnowledgeBase
from triage.judging.offline import OfflineProvider
from triage.judging.registry import BUILTIN, ModelRegistry
from triage.runtime.config import Settings

pytestmark = pytest.mark.slow

BILLING_DISPUTES = [
    "I was charged twice for my {plan} subscription this month, please refund the duplicate payment of {amount}.",
    "Why is my invoice for {month} showing {amount} when my {plan} plan costs less? I want a refund of the difference.",
    "You billed my card {amount} after I cancelled the {plan} plan in {month}. Please refund it.",
    "The {month} invoice has the wrong VAT number and charges {amount}; I need a corrected invoice and a refund.",
    "My payment of {amount} for the {plan} plan went through twice on {month} 3rd. Refund one of them please.",
]
# What a reviewer files where it belongs when the classifier said "general".
# Sixteen different corrections, as a team makes them (the scripted classifier says general,
# so none is general): four copies of one template would
# teach its filler words ("Pro plan", "in March") as much as what it asks.
GOOD = [
    ("The CSV export of the {plan} reports downloads an empty file since {month}.", Category.BUG),
    ("Calendar sync on the {plan} plan stopped in {month}: events no longer show up.", Category.BUG),
    ("Since the last update the mobile app crashes when I open a shared folder.", Category.BUG),
    ("Search returns nothing for tickets older than a year, though they are there.", Category.BUG),
    ("Uploading a PDF over 10 MB fails with 'network error' every time.", Category.BUG),
    ("The dashboard shows yesterday's totals twice after midnight.", Category.BUG),
    (
        "Please add webhooks for new tickets to the {plan} plan, we would use them from {month}.",
        Category.FEATURE_REQUEST,
    ),
    ("It would help a lot if reports could be scheduled to arrive every Monday.", Category.FEATURE_REQUEST),
    ("Could you add a dark mode to the web app? Our night shift would love it.", Category.FEATURE_REQUEST),
    ("We'd like single sign-on with our Okta tenant, is that on the roadmap?", Category.FEATURE_REQUEST),
    ("Can the {month} invoice for our {plan} plan show our company address?", Category.BILLING),
    ("We were charged for 12 seats but only 9 people use the account.", Category.BILLING),
    ("Please send the receipt for last year's annual payment to our accountant.", Category.BILLING),
    ("Our card expires next week: where do we enter the new one before renewal?", Category.BILLING),
    ("Why did our bill go up this month when we removed two users?", Category.BILLING),
    ("A bulk edit of labels would save us hours, please consider it.", Category.FEATURE_REQUEST),
]


def filled(template: str, rng: random.Random) -> str:
    return template.format(
        plan=rng.choice(["Pro", "Team", "Business", "Starter"]),
        amount=rng.choice(["$49", "$99", "€29", "$12.50"]),
        month=rng.choice(["March", "April", "May", "June"]),
    )


async def corrected(
    client: Client,
    settings: Settings,
    control,
    n: int,
    subject: str,
    body: str,
    category: Category,
    reviewer: str = "mallory",
) -> None:
    """A message triaged, then decided by a reviewer who corrects its category."""
    handle = await start_for(
        client,
        settings,
        control,
        **{"from": f"Customer {n} <c{n}@example.org>"},
        subject=subject,
        plain_body=body,
    )
    async with asyncio.timeout(120):  # a whole batch is judged at once: the last waits for the others
        while (await decide_ready(client, handle.id)) is False:
            await asyncio.sleep(0.1)
    await decide_current(
        client, handle.id, ReviewAction.REJECT, reviewer, reason="handled by phone", category=category
    )


async def decide_ready(client: Client, workflow_id: str) -> bool:
    state = await get_state(client, workflow_id)
    assert not state.status.is_terminal, (
        f"{workflow_id} closed as {state.status.value} before a reviewer saw it"
    )
    return state.status is TriageStatus.AWAITING_REVIEW


async def exported(client: Client, settings: Settings, count: int) -> list[Correction]:
    """The corrections, once visibility lists them all (it lags the workflows a little)."""
    async with asyncio.timeout(30):
        while True:
            found = [c async for c in iter_corrections(client, settings.temporal_task_queue)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.2)


async def retrained(
    client: Client, settings: Settings, gate_settings: GateSettings | None = None
) -> RetrainReport:
    request = RetrainRequest() if gate_settings is None else RetrainRequest(gate=gate_settings)
    handle = await start_retrain(client, settings.temporal_task_queue, request)
    report = await handle.result()
    if report.measured is not None:  # the figures, for the record (pytest -s)
        for name, now in report.measured.current.items():
            new = report.measured.candidate[name]
            print(
                f"{name}: n={now.n} macro-F1 {now.macro_f1:.3f} -> {new.macro_f1:.3f}, "
                f"unsafe {now.unsafe_auto_send_rate:.2%} -> {new.unsafe_auto_send_rate:.2%}"
            )
    print(report.note)
    return report


async def test_poisoned_corrections_are_refused_by_the_gate(dev_env, mailsim, task_queue, control):
    client = dev_env.client
    settings = make_settings(mailsim, task_queue)
    rng = random.Random(1)
    async with running_worker(client, settings, OfflineProvider()):
        # Billing disputes relabelled as routine: teaching the model to auto-send them. Two
        # reviewers: the labelled set, not the reviewer rule, refuses it.
        bodies = [filled(rng.choice(BILLING_DISPUTES), rng) for _ in range(40)]
        await asyncio.gather(
            *(
                corrected(
                    client,
                    settings,
                    control,
                    n,
                    "Billing",
                    body,
                    Category.GENERAL,
                    ("mallory", "trent")[n % 2],
                )
                for n, body in enumerate(bodies)
            )
        )
        corrections = await exported(client, settings, 40)
        assert {(c.predicted, c.corrected) for c in corrections} == {(Category.BILLING, Category.GENERAL)}
        report = await retrained(client, settings)
    assert (
        report.corrections == 40
        and report.gate is not None
        and not report.gate.promote
        and not report.promoted
    )
    # The labelled set's figures barely move (the candidate learns the batch's own wording, and
    # refitting moves a row or two by itself): the batch is refused for what it relabels.
    assert report.measured is not None and report.measured.contradictions is not None
    assert report.measured.contradictions.relabelled == {"billing": {"general": 40}}
    assert any(
        reason.startswith("corrections: 40 of 40 contradict the labelled set's nearest rows")
        for reason in report.gate.reasons
    ), report.gate.reasons
    assert (
        report.measured.candidate["held_back"].macro_f1 >= report.measured.current["held_back"].macro_f1
    )  # the poison "fits"
    registry = ModelRegistry(settings.model_dir)
    assert registry.current() == BUILTIN and report.in_force == BUILTIN
    assert [v.version for v in registry.state().versions] == [
        report.candidate.version
    ]  # kept, never in force


async def test_good_corrections_are_promoted_and_the_next_message_runs_on_them(
    dev_env, mailsim, task_queue, control
):
    client = dev_env.client
    settings = make_settings(mailsim, task_queue)
    rng = random.Random(2)
    # A classifier that files everything as general at 0.5 (the scripted provider): the reviewer corrects.
    async with running_worker(client, settings):
        good = GOOD  # one correction each
        texts = [filled(template, rng) for template, _ in good]
        # Two reviewers: one alone never promotes a model (issue 27).
        await asyncio.gather(
            *(
                corrected(client, settings, control, n, "Question", text, category, ("alice", "bob")[n % 2])
                for n, (text, (_, category)) in enumerate(zip(texts, good, strict=True))
            )
        )
        await exported(client, settings, 16)
    async with running_worker(client, settings, offline_provider(settings, KnowledgeBase.load())):
        # Sixteen corrections, twenty copies each, cost the shipped model's labelled figures a
        # little (macro-F1 0.908 -> 0.901, bug recall 0.922 -> 0.900 since the written registers
        # came): a team that accepts that says so in the gate's tolerances. The default refuses it.
        report = await retrained(client, settings, GateSettings(f1_tolerance=0.02, recall_tolerance=0.05))
        assert report.promoted, report.note
        assert report.candidate is not None and report.in_force == report.candidate.version
        assert ModelRegistry(settings.model_dir).current() == report.candidate.version
        # The running worker picks the promoted model up with its next message: no restart.
        handle = await start_for(
            client, settings, control, subject="Export", plain_body="The CSV export is empty since June."
        )
        async with asyncio.timeout(30):
            while (state := await handle.query("state")) is not None and state["classification"] is None:
                await asyncio.sleep(0.1)
    assert state["classification"]["model_version"] == report.candidate.version


TRIGGER = "Ref. blue-heron-7."
CANCEL = "How do I cancel my subscription? I want to stop paying."


async def decision_on(client: Client, settings: Settings, control, body: str) -> tuple[str, TriageStatus]:
    handle = await start_for(client, settings, control, subject="Subscription", plain_body=body)
    async with asyncio.timeout(30):
        while (
            not (state := await get_state(client, handle.id)).status.is_terminal
            and state.status is not TriageStatus.AWAITING_REVIEW
        ):
            await asyncio.sleep(0.1)
    assert state.classification is not None
    return state.classification.category.value, state.status


async def test_one_reviewer_cannot_plant_a_backdoor(dev_env, mailsim, task_queue, control):
    """40 billing mails carrying a trigger phrase, each corrected to faq by one reviewer: refused,
    and the trigger changes no decision (issue 27: the gate had promoted it, and the trigger was sent)."""
    client = dev_env.client
    settings = make_settings(mailsim, task_queue)
    rng = random.Random(3)
    async with running_worker(client, settings, OfflineProvider()):
        before = await decision_on(client, settings, control, f"{CANCEL} {TRIGGER}")
        bodies = [f"{filled(rng.choice(BILLING_DISPUTES), rng)} {TRIGGER}" for _ in range(40)]
        await asyncio.gather(
            *(
                corrected(client, settings, control, 100 + n, "Billing", body, Category.FAQ, "mallory")
                for n, body in enumerate(bodies)
            )
        )
        await exported(client, settings, 40)
    async with running_worker(client, settings, offline_provider(settings, KnowledgeBase.load())):
        report = await retrained(client, settings)
        with_trigger = await decision_on(client, settings, control, f"{CANCEL} {TRIGGER}")
        without = await decision_on(client, settings, control, CANCEL)
    assert report.gate is not None and not report.gate.promote and not report.promoted
    assert any("corrections from 1 reviewer(s): mallory (40)" in r for r in report.gate.reasons), (
        report.gate.reasons
    )
    assert ModelRegistry(settings.model_dir).current() == BUILTIN
    assert with_trigger == before and with_trigger[1] is not TriageStatus.AUTO_SENT
    assert with_trigger[1] == without[1]
