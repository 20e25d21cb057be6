"""The whole path over IMAP: Dovecot -> watcher -> workflow -> SMTP -> the customer's mailbox."""

from __future__ import annotations

from tests.conftest import running_worker
from tests.helpers import running_watcher, settled, wait_for_workflows
from tests.imap_env import imap_settings, mail, needs_dovecot
from tests.scripted_provider import subject
from triage.domain.contracts import workflow_id_for
from triage.domain.models import TriageStatus
from triage.mail.imap.mime import id_for

pytestmark = needs_dovecot


async def test_a_routine_question_is_answered_once_and_a_follow_up_joins_its_conversation(
    dev_env, dovecot, relay, mailbox
):
    settings = imap_settings(dovecot, relay, mailbox)
    client = dev_env.client
    async with running_worker(client, settings), running_watcher(client, settings):
        dovecot.deliver(
            mail(
                subject=subject("faq", 0.95, text="Reset password?"),
                body="Hello, how do I reset my password?",
                message_id="e2e-1@client.example.test",
            ),
            mailbox,
        )
        first = workflow_id_for(id_for("e2e-1@client.example.test"))
        await wait_for_workflows(client, settings.temporal_task_queue, {first})
        state = await settled(client, client.get_workflow_handle(first))
        assert state.status is TriageStatus.AUTO_SENT, state.policy_decision
        replies = [a for a in relay.accepted if b"In-Reply-To: <e2e-1@client.example.test>" in a.data]
        assert len(replies) == 1 and replies[0].recipients == ["customer@example.test"]
        ours = replies[0].data.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
        # The customer answers from Outlook: In-Reply-To only, "RE:".
        dovecot.deliver(
            mail(
                subject="RE: Reset password?",
                body="It did not work, the link is expired.",
                message_id="e2e-2@client.example.test",
                headers={"In-Reply-To": f"<{ours}>"},
            ),
            mailbox,
        )
        second = workflow_id_for(id_for("e2e-2@client.example.test"))
        await wait_for_workflows(client, settings.temporal_task_queue, {first, second})
        follow_up = await settled(client, client.get_workflow_handle(second))
        assert follow_up.thread and follow_up.thread[-1].from_us  # it read our reply as the thread's latest
        assert follow_up.conversation is not None  # and joined the conversation
