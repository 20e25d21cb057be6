"""The dashboard in a real browser: Debian's chromium driven by Playwright.

Chromium comes from the distribution (``apt-get install chromium``, done by
``make browser`` / ``.ci/run``); ``playwright install`` downloads are never
used. A missing chromium fails these tests: a skipped security test is a
silent one.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, expect

from starter.review import get_state
from tests.browser import ARTIFACTS, DOCS, queue_row_visible, sign_in
from tests.conftest import sent_mail
from tests.helpers import REVIEWERS, dashboard, start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import AutonomyMode, Category, TriageStatus
from triage.runtime.config import Settings

pytestmark = pytest.mark.browser

XSS = (
    "<script>window.__pwned=1;alert(1)</script>"
    '<img src=x onerror="window.__pwned=1">'
    '<a href="javascript:window.__pwned=1">x</a>'
)
# The demo's routine question: the offline model answers it from the knowledge base.
PASSWORD = {
    "subject": "How do I reset my password?",
    "plain_body": "Hi there,\n\nI forgot my password and can't log in to Acme Help. How do I reset it?\n\nThanks,\nMaya",
    "from": "Maya <maya@example.org>",
}
EDITED = "Hi Dana,\n\nYou were charged twice; the second charge is refunded today.\n\nBest,\nAlice"


@pytest.fixture
def api_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"reviewers": REVIEWERS})


async def signed_in_page(browser: Browser, base: str, height: int) -> tuple[BrowserContext, Page, list[str]]:
    """A new browser context signed in as alice, and the console errors its page logs."""
    context = await browser.new_context(viewport={"width": 1280, "height": height})
    page = await context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    await sign_in(page, base)
    return context, page, console_errors


def save_screenshot(name: str, png: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(png)
    if not (DOCS / name).exists():  # the README's pictures: made once, kept in git
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(ARTIFACTS / name, DOCS / name)


async def test_sign_in_edit_approve_and_leave_the_queue(dev_env, api_settings, control, browser: Browser):
    async with dashboard(dev_env.client, api_settings) as base:
        handle = await start_for(
            dev_env.client,
            api_settings,
            control,
            subject=subject("billing", 0.92, text="Charged twice for my March invoice"),
            plain_body="Hello,\n\nMy card was charged twice for invoice INV-2031 (49.00 EUR).\nCan you refund one?\n\nDana",
            html_body="<p>Hello,</p><p>My card was charged <b>twice</b> for invoice <code>INV-2031</code> (49.00 EUR).</p>"
            "<p>Can you refund one?</p><p>Dana</p>",
            **{"from": "Dana Reyes <dana@example.org>"},
        )
        others = [
            await start_for(
                dev_env.client,
                api_settings,
                control,
                subject=subject("bug", 0.71, text="Export to CSV crashes"),
                **{"from": "Lee <lee@example.net>"},
            ),
            await start_for(
                dev_env.client,
                api_settings,
                control,
                subject=subject("feature_request", 0.86, False, text="Dark mode for the web app?"),
                **{"from": "Sam Patel <sam@example.com>"},
            ),
        ]
        for started in (handle, *others):
            await wait_for_status(started, TriageStatus.AWAITING_REVIEW)

        context, page, console_errors = await signed_in_page(browser, base, height=800)
        await queue_row_visible(page, handle.id)
        row = page.locator(f"tr[data-workflow-id='{handle.id}']")
        await expect(row).to_contain_text("Charged twice")
        await expect(row).to_contain_text("dana@example.org")
        await expect(row.locator(".badge")).to_have_text("Billing")
        save_screenshot("dashboard-queue.png", await page.screenshot())

        await row.click()
        await expect(page).to_have_url(f"{base}/reviews/{handle.id}")
        await expect(page.get_by_test_id("revision")).to_have_text("revision 1")
        await expect(page.frame_locator("iframe.email-html:not(.draft-html)").locator("b")).to_have_text(
            "twice"
        )
        save_screenshot("dashboard-review.png", await page.screenshot(full_page=True))

        await page.fill("#draft-body", EDITED)
        await expect(page.get_by_test_id("approve")).to_have_text("Approve edited & send")
        await page.get_by_test_id("approve").click()
        await expect(page).to_have_url(base + "/")
        await expect(page.locator(".flash-ok")).to_contain_text("Reply sent with your edits")
        await expect(page.locator(f"tr[data-workflow-id='{handle.id}']")).to_have_count(0)
        await expect(page.locator(f"tr[data-workflow-id='{others[0].id}']")).to_have_count(1)
        await context.close()

    sent = await sent_mail(control)
    assert [s["plain_body"] for s in sent] == [EDITED]
    assert console_errors == []  # includes CSP violations: the page itself must need no exception


async def test_hostile_email_renders_inert(dev_env, api_settings, control, browser: Browser):
    async with dashboard(dev_env.client, api_settings) as base:
        handle = await start_for(
            dev_env.client,
            api_settings,
            control,
            subject=subject("bug", 0.9, text='<img src=x onerror="window.__pwned=1">'),
            plain_body=f"Plain part: {XSS}",
            html_body=f"<p>HTML part</p>{XSS}",
        )
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)

        context = await browser.new_context()
        page = await context.new_page()
        dialogs: list[str] = []

        async def refuse(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", refuse)
        await sign_in(page, base)
        await queue_row_visible(page, handle.id)  # the subject is hostile too
        await page.goto(f"{base}/reviews/{handle.id}")
        await expect(page.get_by_test_id("email-text")).to_contain_text(
            "<script>window.__pwned=1;alert(1)</script>"
        )

        frame = page.frame_locator("iframe.email-html:not(.draft-html)")
        await expect(frame.locator("p")).to_have_text("HTML part")
        await frame.get_by_text("x", exact=True).click()
        await page.wait_for_timeout(500)

        assert dialogs == []
        assert page.url == f"{base}/reviews/{handle.id}"
        assert len(page.frames) == 3  # the page, the email's HTML part and the draft's HTML part
        for each in page.frames:
            assert await each.evaluate("() => typeof window.__pwned") == "undefined", each.url
        srcdoc = await page.locator("iframe.email-html:not(.draft-html)").get_attribute("srcdoc") or ""
        for needle in ("<script", "onerror", "javascript:", "src=x"):
            assert needle not in srcdoc
        await context.close()


async def test_autonomy_page_mode_form_and_a_shadow_held_review(
    dev_env, api_settings, control, browser: Browser, offline
):
    settings = api_settings.model_copy(update={"autonomy": AutonomyMode.SHADOW})  # TRIAGE_AUTONOMY=shadow
    async with dashboard(dev_env.client, settings, offline) as base:
        held = await start_for(dev_env.client, settings, control, **PASSWORD)
        await wait_for_status(held, TriageStatus.AWAITING_REVIEW)

        context, page, console_errors = await signed_in_page(browser, base, height=900)
        await page.get_by_role("link", name="Autonomy").click()
        await expect(page).to_have_url(base + "/autonomy")
        for category in Category:
            row = page.locator(f"tr[data-scope='category:{category.value}']")
            # What is in force: a category the policy never sends alone says so, whatever its mode.
            in_force = "shadow" if category in settings.auto_send_categories else "review"
            await expect(row.get_by_test_id("mode")).to_have_text(in_force)
            await expect(row.get_by_test_id("always-review")).to_have_count(0 if in_force == "shadow" else 1)
            await expect(row.get_by_test_id("source")).to_contain_text("Config")
            await expect(row.get_by_test_id("shadow-verdicts")).to_have_text("0 of 30")

        # A person changes a mode through the form; the change and its reason are recorded.
        billing = page.locator("tr[data-scope='category:billing']")
        await billing.locator("select[name=mode]").select_option("review")
        await billing.locator("input[name=why]").fill("refunds need a human")
        await billing.get_by_role("button", name="Set").click()
        await expect(page.locator(".flash-ok")).to_have_text("category:billing: shadow -> review (set).")
        await expect(billing.get_by_test_id("mode")).to_have_text("review")
        await expect(billing.get_by_test_id("source")).to_contain_text("by alice")
        changes = page.get_by_test_id("mode-changes")
        await expect(changes).to_contain_text("category:billing")
        await expect(changes).to_contain_text("refunds need a human")

        # The shadow-held review says what would have happened, and the reviewer corrects the category.
        await page.goto(f"{base}/reviews/{held.id}")
        await expect(page.get_by_test_id("would-have-sent")).to_have_text(
            "would have been sent automatically"
        )
        state = await get_state(dev_env.client, held.id)
        assert state.classification is not None
        await expect(page.get_by_test_id("category")).to_have_value(state.classification.category.value)
        await page.get_by_test_id("category").select_option(
            "general" if state.classification.category is Category.FAQ else "faq"
        )
        corrected = Category(await page.get_by_test_id("category").input_value())
        await page.fill("#reason", "answered by phone")
        await page.get_by_test_id("reject").click()  # another form: the select speaks for it too
        await expect(page.locator(".flash-ok")).to_contain_text("Rejected")
        assert (await get_state(dev_env.client, held.id)).corrected_category is corrected

        # Its verdict reaches the record: the article appears, with the disagreement linked.
        await page.goto(base + "/autonomy")
        article = page.locator("tr[data-scope='article:password-reset']")
        async with asyncio.timeout(15):
            while not await article.count():
                await asyncio.sleep(0.3)
                await page.reload()
        await expect(article.get_by_test_id("disagree")).to_have_text("1")
        await expect(article.get_by_test_id("last-disagreement")).to_have_attribute(
            "href", f"/reviews/{held.id}"
        )
        save_screenshot("dashboard-autonomy.png", await page.screenshot(full_page=True))
        await context.close()
    assert console_errors == []
