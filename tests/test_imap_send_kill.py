"""kill -9 of a sending worker at each step of a send, then the retry Temporal would make.

The guarantee, stated as measured: the reply's Message-ID is fixed before
the send, and a retried send looks for it in Sent first. A kill before the
SMTP server accepts sends once; a kill after the Sent copy sends once; a
kill between the server's acceptance and the Sent copy (one IMAP APPEND)
sends twice. That window is reported, never hidden.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys

import pytest

from tests.imap_env import imap_settings, mail, needs_dovecot
from triage.dev.dovecot import PASSWORD
from triage.mail.imap.mime import id_for
from triage.mail.imap.provider import ImapProvider

pytestmark = needs_dovecot


def child_env(dovecot, relay, user: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRIAGE_MAIL_PROVIDER": "imap",
        "TRIAGE_IMAP_HOST": "127.0.0.1",
        "TRIAGE_IMAP_PORT": str(dovecot.imap_port),
        "TRIAGE_IMAP_SECURITY": "none",
        "TRIAGE_IMAP_USER": user,
        "TRIAGE_IMAP_PASSWORD": PASSWORD,
        "TRIAGE_IMAP_ADDRESS": dovecot.address(user),
        "TRIAGE_SMTP_PORT": str(relay.port),
    }


async def draft_for(provider: ImapProvider, dovecot, user: str, tag: str) -> tuple[str, str]:
    mid = f"{tag}@client.example.test"
    dovecot.deliver(mail(subject=f"Kill {tag}", message_id=mid), user)
    draft = await provider.create_draft(
        "support",
        to=["customer@example.test"],
        subject=f"Re: Kill {tag}",
        plain_body=f"Answer {tag}",
        reply_to_message_id=id_for(mid),
    )
    return draft.id, mid


def copies(relay, mid: str) -> int:
    return sum(1 for a in relay.accepted if f"In-Reply-To: <{mid}>".encode() in a.data)


@pytest.mark.parametrize(
    ("kill_at", "sent"),
    [
        ("draft_read", 1),
        ("before_smtp", 1),
        ("at_acceptance", 2),  # the server accepted it; the worker died before hearing 250
        ("after_smtp", 2),  # heard 250, died before the Sent copy: the window
        ("after_sent_copy", 1),
        ("draft_removed", 1),
    ],
)
async def test_kill_at_each_step_of_a_send(dovecot, relay, mailbox, kill_at, sent):
    settings = imap_settings(dovecot, relay, mailbox)
    async with ImapProvider.from_settings(settings) as provider:
        draft_id, mid = await draft_for(provider, dovecot, mailbox, f"{kill_at}-{mailbox}")
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.imap_send_child",
            draft_id,
            "after_smtp" if kill_at == "at_acceptance" else kill_at,
            env=child_env(dovecot, relay, mailbox),
        )
        if kill_at == "at_acceptance":
            relay.on_data = lambda when, _env: when == "after" and os.kill(child.pid, signal.SIGKILL)
        try:
            code = await asyncio.wait_for(child.wait(), 30)
        finally:
            relay.on_data = None
        if kill_at == "draft_removed":
            assert code == -signal.SIGKILL or code == 0
        else:
            assert code == -signal.SIGKILL
        # Temporal retries the activity: the same send, in a new worker.
        result = await provider.send_draft("support", draft_id)
        assert copies(relay, mid) == sent
        assert result.message_id.startswith("im_")
        # And again: nothing more goes out once the reply is in Sent.
        await provider.send_draft("support", draft_id)
        assert copies(relay, mid) == sent


async def test_the_double_send_window_is_one_imap_round_trip(dovecot, relay, mailbox):
    """Measured, not asserted against a clock: printed for the performance notes."""
    settings = imap_settings(dovecot, relay, mailbox)
    windows = []
    async with ImapProvider.from_settings(settings) as provider:
        for i in range(10):
            draft_id, _ = await draft_for(provider, dovecot, mailbox, f"window-{i}-{mailbox}")
            await provider.send_draft("support", draft_id)
            windows.append(provider.last_send_window)
    assert all(w is not None and w >= 0 for w in windows)
    print(
        f"\nsend window (SMTP 250 -> Sent copy): p50 {statistics.median(windows) * 1000:.1f} ms, max {max(windows) * 1000:.1f} ms"
    )
