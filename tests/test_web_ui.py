"""The Temporal Web UI as an operator sees it, in Chromium: the README's saved query lists only
triage workflows, and sender and subject read as written (no stray backslash, no link).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from starter.start import summary_for
from tests.conftest import _binary
from triage.domain.contracts import CONVERSATION_WORKFLOW
from triage.domain.inbound import build_inbound
from triage.domain.models import PolicyDecision, TriageState, TriageStatus
from triage.domain.outcome import review_summary
from triage.domain.search_attributes import ALL_KEYS
from triage.runtime.asgi_server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The README's recipe: the one query that leaves the helper workflows out.
TRIAGE_ONLY = 'WorkflowType = "SupportTriageWorkflow"'
SENDER = "Tom Ridley <tom.ridley@example.com>"
SUBJECT = 'Re: "a reply…" [click](http://evil.example) **now**; 50% off'


async def test_the_saved_query_and_the_summary_as_the_web_ui_shows_them(browser: Browser):
    ui_port = free_port()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL_KEYS,
        ui=True,
        ui_port=ui_port,
        dev_server_log_level="error",
    )
    try:
        client = env.client
        message = build_inbound(
            message_id="msg_ui",
            inbox_id="support",
            thread_id="thr_1",
            from_address=SENDER,
            to=[],
            subject=SUBJECT,
            plain_body="Hello",
            html_body=None,
            received_at=None,
        )
        state = TriageState(
            workflow_id="triage-msg_ui",
            status=TriageStatus.AWAITING_REVIEW,
            message=message,
            started_at=datetime.now(UTC),
            policy_decision=PolicyDecision(
                auto_send=False, reasons=["follow-up in a conversation", 'the customer said "thanks"']
            ),
        )
        # No worker: the UI shows what the start recorded (the summary; the details as the workflow would set them).
        await client.start_workflow(
            "SupportTriageWorkflow",
            id="triage-msg_ui",
            task_queue="nobody",
            static_summary=summary_for(message),
            static_details=review_summary(TriageStatus.AWAITING_REVIEW, state),
        )
        await client.start_workflow(CONVERSATION_WORKFLOW, id="conversation-thr_1", task_queue="nobody")
        listed = [w.workflow_type async for w in client.list_workflows(TRIAGE_ONLY)]
        assert listed in ([], ["SupportTriageWorkflow"])  # visibility lags a moment: the UI below waits

        page = await browser.new_page(viewport={"width": 1280, "height": 1000})
        base = f"http://127.0.0.1:{ui_port}/namespaces/default/workflows"
        await page.goto(f"{base}?query={TRIAGE_ONLY}")
        await expect(page.get_by_role("link", name="triage-msg_ui", exact=True)).to_be_visible(timeout=20_000)
        await expect(page.get_by_role("link", name="conversation-thr_1", exact=True)).to_have_count(0)
        await page.get_by_role("link", name="triage-msg_ui", exact=True).click()
        await page.get_by_text("User Metadata").first.click()
        # The UI renders each Markdown field in its own sandboxed frame.
        rendered: list[tuple[str, str]] = []
        for _ in range(40):
            rendered = [(await f.inner_text("body"), await f.content()) for f in page.frames[1:]]
            rendered = [(text, html) for text, html in rendered if "tom.ridley" in text]
            if len(rendered) >= 2:
                break
            await page.wait_for_timeout(500)
        await page.screenshot(path="artifacts/surfaces-web-ui.png", full_page=True)
        await page.close()
    finally:
        await env.shutdown()
    assert len(rendered) >= 2, "the summary and the details are shown"
    for text, html in rendered:
        assert "\\" not in text, text  # no stray escape: @, quotes, ; and % read as written
        assert "tom.ridley@example.com" in text and '"a reply…"' in text.replace("“", '"').replace("”", '"')
        assert "[click](http" in text and "**now**" in text, text  # the Markdown is shown, not obeyed
        assert "<a " not in html and "<strong>now" not in html, html
    links = [line for line in text.splitlines() if "evil" in line]
    assert links, text
