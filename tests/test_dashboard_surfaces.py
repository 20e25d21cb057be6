"""What a reviewer lives in all day, in Chromium: the queue says why and in what order,
"No reply needed", the words (sign-in hint, relative times, the Autonomy page), at 1280 and 800 px.

Screenshots go to ``artifacts/`` (``surfaces-*.png``) for a person to look at.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from playwright.async_api import Browser, ConsoleMessage, expect

from starter.api.views import ago, countdown
from tests.browser import ARTIFACTS, queue_row_visible, sign_in
from tests.conftest import sent_mail
from tests.helpers import REVIEWERS, dashboard, start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import TriageStatus
from triage.domain.urgency import QUEUE_ORDER
from triage.runtime.config import Settings

pytestmark = pytest.mark.browser

WIDTHS = (1280, 800)


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"reviewers": REVIEWERS})


def shoot(name: str, png: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(png)


def _record_error(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(message.text)


@pytest.mark.parametrize(
    ("offset", "ago_text", "ahead", "behind"),
    [
        (timedelta(seconds=0), "just now", "due now", "due now"),
        (timedelta(seconds=30), "just now", "due now", "due now"),
        (timedelta(minutes=5, seconds=30), "5m ago", "in 5m", "overdue 5m"),
        (timedelta(hours=2, minutes=1, seconds=30), "2h 1m ago", "in 2h 1m", "overdue 2h 1m"),
        (timedelta(days=3, hours=4, seconds=30), "3d 4h ago", "in 3d 4h", "overdue 3d 4h"),
    ],
)
def test_relative_times_never_say_now_ago(offset, ago_text, ahead, behind):
    now = datetime.now(UTC)
    assert ago(now - offset) == ago_text
    assert countdown(now + offset) == ahead
    assert countdown(now - offset) == behind


async def test_queue_order_reasons_no_reply_and_the_words(dev_env, api_settings, control, browser: Browser):
    client = dev_env.client
    async with dashboard(client, api_settings) as base:
        # Held for its confidence alone (a thank-you would now close by itself): the least urgent.
        minor = await start_for(
            client,
            api_settings,
            control,
            subject=subject("general", 0.4, text="Newsletter"),
            plain_body="I read your newsletter every week. Is there one in Portuguese too?",
            **{"from": "Tom Ridley <tom.ridley@example.com>"},
        )
        problem = await start_for(
            client,
            api_settings,
            control,
            subject=subject("bug", 0.9, text="Export does not work"),
            plain_body="Hi, the CSV export does not work since yesterday: the file is empty.",
            **{"from": "Lee <lee@example.net>"},
        )
        legal = await start_for(
            client,
            api_settings,
            control,
            subject=subject("billing", 0.9, text="Third time: refund now"),
            plain_body="This is the third time I write about the double charge. Our lawyer will take legal action.",
            **{"from": "Dana Reyes <dana@example.org>"},
        )
        for handle in (minor, problem, legal):
            await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)

        for width in WIDTHS:
            context = await browser.new_context(viewport={"width": width, "height": 900})
            page = await context.new_page()
            errors: list[str] = []
            page.on("console", partial(_record_error, errors))
            await page.goto(base + "/login")
            await expect(page.get_by_test_id("token-hint")).to_contain_text(".data/demo-token")
            await sign_in(page, base)
            for handle in (minor, problem, legal):
                await queue_row_visible(page, handle.id)
            await expect(page.get_by_test_id("queue-order")).to_contain_text(QUEUE_ORDER)
            rows = page.locator("tr[data-workflow-id]")
            order: list[str] = []
            ours = {legal.id, problem.id, minor.id}  # the dev server is shared: other tests' reviews wait too
            for _ in range(20):  # a row whose state query timed out (a busy worker) has no flags yet
                shown = await rows.evaluate_all("rows => rows.map(r => r.dataset.workflowId)")
                order = [workflow_id for workflow_id in shown if workflow_id in ours]
                if order == [legal.id, problem.id, minor.id]:
                    break
                await page.wait_for_timeout(500)
                await page.reload()
            assert order == [legal.id, problem.id, minor.id], order  # the legal threat first, though newest
            legal_why = page.locator(f"tr[data-workflow-id='{legal.id}']").get_by_test_id("why")
            await expect(legal_why).to_contain_text("legal or security")
            await expect(legal_why).to_contain_text("guard flags: legal")
            await expect(
                page.locator(f"tr[data-workflow-id='{minor.id}']").get_by_test_id("why")
            ).to_contain_text("confidence 0.40")
            await expect(page.locator("time[data-ago]").first).not_to_have_text("now ago")
            shoot(f"surfaces-queue-{width}.png", await page.screenshot(full_page=True))

            await page.goto(f"{base}/reviews/{legal.id}")
            await expect(page.get_by_test_id("main-reason")).to_have_text(
                "guard flags: legal, money, problem_report"
            )
            shoot(f"surfaces-review-{width}.png", await page.screenshot(full_page=True))

            await page.goto(base + "/autonomy")
            billing = page.locator("tr[data-scope='category:billing']")
            await expect(billing.get_by_test_id("mode")).to_have_text("review")
            await expect(billing.get_by_test_id("always-review")).to_contain_text("Always review")
            await expect(page.locator("tr[data-scope='category:faq']").get_by_test_id("mode")).to_have_text(
                "auto"
            )
            await expect(page.get_by_test_id("promote-after")).to_have_text("30")
            await expect(page.get_by_test_id("promote-note")).to_have_count(0)  # the default needs no note
            shoot(f"surfaces-autonomy-{width}.png", await page.screenshot(full_page=True))
            assert errors == []
            await context.close()

        # "No reply needed" on the least urgent one: it leaves the queue, nothing is sent, not a reject.
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await sign_in(page, base)
        await page.goto(f"{base}/reviews/{minor.id}")
        await page.get_by_test_id("close").click()
        await expect(page).to_have_url(base + "/")
        await expect(page.locator(".flash-ok")).to_have_text("Closed: no reply needed, nothing was sent.")
        await expect(page.locator(f"tr[data-workflow-id='{minor.id}']")).to_have_count(0)
        await page.goto(base + "/history")
        await expect(page.locator("body")).to_contain_text("No reply needed")
        await context.close()
        assert (await minor.result()).status is TriageStatus.NO_REPLY_NEEDED
    assert await sent_mail(control) == []
