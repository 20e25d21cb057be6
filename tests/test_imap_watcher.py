"""The watcher over IMAP against a real Dovecot: IDLE, polling, restarts, renumbering, drops."""

from __future__ import annotations

import asyncio
import imaplib
import uuid

from tests.helpers import running_watcher, wait_for_workflows, workflow_ids
from tests.imap_env import imap_settings, mail, needs_dovecot
from triage.dev.dovecot import PASSWORD
from triage.domain.contracts import workflow_id_for
from triage.mail.imap.mime import id_for

pytestmark = needs_dovecot


def deliver_new(dovecot, user: str, n: int, tag: str) -> set[str]:
    """``n`` new mails into ``user``'s inbox; their expected workflow ids."""
    expected = set()
    for i in range(n):
        mid = f"{tag}-{i}-{uuid.uuid4().hex[:8]}@client.example.test"
        dovecot.deliver(mail(subject=f"{tag} {i}", message_id=mid), user)
        expected.add(workflow_id_for(id_for(mid)))
    return expected


async def exactly(client, settings, expected: set[str], timeout: float = 30.0) -> None:
    ids = await wait_for_workflows(client, settings.temporal_task_queue, expected, timeout=timeout)
    await asyncio.sleep(0.5)  # anything started twice would show by now
    ids = await workflow_ids(client, settings.temporal_task_queue)
    assert sorted(ids) == sorted(expected)


async def test_new_mail_arrives_through_idle(dev_env, dovecot, relay, mailbox):
    # Polling every 60 s: only IDLE can bring the mail in within the wait below.
    settings = imap_settings(
        dovecot, relay, mailbox, imap_poll_seconds=60.0, watch_idle_timeout_seconds=120.0
    )
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = deliver_new(dovecot, mailbox, 3, "idle")
        await exactly(dev_env.client, settings, expected, timeout=10.0)
    assert watcher.stats.started == 3 and watcher.stats.connects == 1


async def test_new_mail_arrives_by_polling_without_idle(dev_env, dovecot, relay, mailbox):
    settings = imap_settings(dovecot, relay, mailbox, imap_idle=False, imap_poll_seconds=0.5)
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = deliver_new(dovecot, mailbox, 3, "poll")
        await exactly(dev_env.client, settings, expected)
    assert watcher.stats.started == 3


async def test_mail_already_read_elsewhere_and_duplicates_start_one_workflow_each(
    dev_env, dovecot, relay, mailbox
):
    raw = mail(subject="twice", message_id="twice-1@client.example.test")
    dovecot.deliver(raw, mailbox)
    other = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    other.login(mailbox, PASSWORD)
    other.select("INBOX")
    other.store("1", "+FLAGS", "\\Seen")  # read in another client before the watcher ever looked
    other.copy("1", "Drafts")  # and copied elsewhere: only the inbox is triaged
    other.logout()
    settings = imap_settings(dovecot, relay, mailbox)
    async with running_watcher(dev_env.client, settings):
        dovecot.deliver(raw, mailbox)  # the same mail delivered again
        expected = {workflow_id_for(id_for("twice-1@client.example.test"))} | deliver_new(
            dovecot, mailbox, 1, "after"
        )
        await exactly(dev_env.client, settings, expected)


async def test_server_restart_mid_stream_loses_nothing(dev_env, dovecot, relay, mailbox):
    settings = imap_settings(dovecot, relay, mailbox)
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = deliver_new(dovecot, mailbox, 2, "before")
        dovecot.restart()
        expected |= deliver_new(dovecot, mailbox, 2, "after")
        await exactly(dev_env.client, settings, expected)
    assert watcher.stats.connects >= 2


async def test_uidvalidity_reset_rescans_without_duplicates(dev_env, dovecot, relay, mailbox):
    settings = imap_settings(dovecot, relay, mailbox)
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = deliver_new(dovecot, mailbox, 3, "old")
        await exactly(dev_env.client, settings, expected)
        dovecot.reset_uidvalidity(mailbox)
        expected |= deliver_new(dovecot, mailbox, 2, "renumbered")
        await exactly(dev_env.client, settings, expected)
    assert watcher._mail.inbox.resets >= 1  # the provider saw the renumbering
    assert watcher.stats.started == 5


async def test_dropped_connections_lose_nothing(dev_env, dovecot, relay, mailbox):
    settings = imap_settings(dovecot, relay, mailbox)
    async with running_watcher(dev_env.client, settings) as watcher:
        expected = set()
        for round_ in range(3):
            expected |= deliver_new(dovecot, mailbox, 2, f"drop{round_}")
            dovecot.kick(mailbox)
        await exactly(dev_env.client, settings, expected)
    assert watcher.stats.connects >= 2
