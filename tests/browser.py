"""Chromium for the dashboard tests: Debian's binary driven by Playwright (never ``playwright install``).

A missing chromium fails these tests: a skipped security test is a silent one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
DOCS = ROOT / "docs"


# One a test process: each test opens its own context in it (tests/sharing.py groups the modules).
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), "chromium is missing: apt-get install -y chromium (make browser does it)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


async def sign_in(page: Page, base: str, token: str = "tok-a") -> None:
    await page.goto(base + "/")
    await expect(page).to_have_url(base + "/login?next=%2F")
    await page.fill("#token", token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator(".who")).to_have_text("alice")


async def queue_row_visible(page: Page, workflow_id: str) -> None:
    """Reload until visibility lists the workflow (it lags the workflow a moment)."""
    row = page.locator(f"tr[data-workflow-id='{workflow_id}']")
    async with asyncio.timeout(15):
        while not await row.count():
            await asyncio.sleep(0.3)
            await page.reload()
