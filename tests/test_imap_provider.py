"""The IMAP provider against a real Dovecot: identity, duplicates, \\Seen, drafts, sends."""

from __future__ import annotations

import imaplib

import pytest

from tests.imap_env import imap_settings, mail, needs_dovecot
from triage.dev.dovecot import PASSWORD
from triage.mail.errors import MailNotFound
from triage.mail.imap.mime import id_for
from triage.mail.imap.provider import ImapProvider

pytestmark = needs_dovecot


def provider_for(dovecot, relay, user) -> ImapProvider:
    return ImapProvider.from_settings(imap_settings(dovecot, relay, user))


async def all_inbound(provider: ImapProvider):
    return [
        m
        for page in [p async for p in provider.inbound_pages("support", page_size=100, max_pages=10)]
        for m in page
    ]


async def test_inbound_is_identified_by_message_id_and_duplicates_are_one(dovecot, relay, mailbox):
    raw = mail(message_id="dup-1@client.example.test")
    dovecot.deliver(raw, mailbox)
    dovecot.deliver(raw, mailbox)  # the same mail delivered twice
    async with provider_for(dovecot, relay, mailbox) as provider:
        messages = await all_inbound(provider)
        assert [m.message_id for m in messages] == [id_for("dup-1@client.example.test")]
        message = messages[0]
        assert message.subject == "Where is my invoice?"
        assert message.reply_address == "customer@example.test"
        assert "invoice for March" in message.plain_body
        assert (await provider.get_message("support", message.message_id)).message_id == message.message_id


async def test_a_message_without_message_id_gets_a_stable_id(dovecot, relay, mailbox):
    raw = mail(subject="No id here", message_id=None)
    dovecot.deliver(raw, mailbox)
    async with provider_for(dovecot, relay, mailbox) as provider:
        first = [m.message_id for m in await all_inbound(provider)]
    dovecot.deliver(raw, mailbox)  # delivered again: new Received lines, the same mail
    async with provider_for(dovecot, relay, mailbox) as provider:
        again = [m.message_id for m in await all_inbound(provider)]
    assert first == again and len(first) == 1 and first[0].startswith("im_c")


async def test_mail_read_by_another_client_is_still_seen_and_we_set_no_flags(dovecot, relay, mailbox):
    dovecot.deliver(mail(subject="Read elsewhere"), mailbox)
    other = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    other.login(mailbox, PASSWORD)
    other.select("INBOX")
    other.store("1", "+FLAGS", "\\Seen")  # someone read it in their mail client
    dovecot.deliver(mail(subject="Unread"), mailbox)
    async with provider_for(dovecot, relay, mailbox) as provider:
        subjects = sorted(m.subject for m in await all_inbound(provider))
    assert subjects == ["Read elsewhere", "Unread"]
    other.select("INBOX", readonly=True)
    _, flags = other.fetch("2", "(FLAGS)")
    assert b"\\Seen" not in flags[0]  # reading it here did not mark it read
    other.logout()


async def test_mime_as_it_comes(dovecot, relay, mailbox):
    html_only = (
        b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>\r\nTo: support@example.test\r\n"
        b"Subject: =?iso-8859-1?q?Pr=FCfung?=\r\nMessage-ID: <html-1@example.test>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hallo <b>Welt</b></p>\r\n"
    )
    broken = (
        b"From: ann@example.test\r\nTo: support@example.test\r\nSubject: broken\r\nMessage-ID: <broken-1@example.test>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"caf\xe9 \xff\xfe ok\r\n--XX\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename=invoice.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\n--XX--\r\n"
    )
    big = mail(subject="huge", body="x" * 60_000, message_id="huge-1@example.test")
    for raw in (html_only, broken, big):
        dovecot.deliver(raw, mailbox)
    settings = imap_settings(dovecot, relay, mailbox, imap_max_message_bytes=50_000)
    async with ImapProvider.from_settings(settings) as provider:
        by_id = {m.message_id: m for m in await all_inbound(provider)}
    html = by_id[id_for("html-1@example.test")]
    assert (
        html.subject == "Prüfung"
        and "Hallo" in html.plain_body
        and html.reply_address == "jurgen@example.test"
    )
    text = by_id[id_for("broken-1@example.test")].plain_body
    assert "ok" in text and "\ufffd" in text and "invoice.pdf (application/pdf" in text
    huge = by_id[id_for("huge-1@example.test")]
    assert "over the mailbox's cap" in huge.plain_body and huge.body_chars > 50_000


async def test_draft_create_find_update_and_send_once(dovecot, relay, mailbox):
    dovecot.deliver(mail(subject="Help", message_id="ask-1@client.example.test"), mailbox)
    async with provider_for(dovecot, relay, mailbox) as provider:
        [message] = await all_inbound(provider)
        draft = await provider.create_draft(
            "support",
            to=["customer@example.test"],
            subject="Re: Help",
            plain_body="First",
            reply_to_message_id=message.message_id,
        )
        again = await provider.create_draft(  # a retried create replaces, never adds
            "support",
            to=["customer@example.test"],
            subject="Re: Help",
            plain_body="First",
            reply_to_message_id=message.message_id,
        )
        assert again.id == draft.id
        assert (await provider.find_draft("support", reply_to_message_id=message.message_id)).id == draft.id
        updated = await provider.update_draft(
            "support", draft.id, plain_body="Second", html_body="<p>Second</p>"
        )
        assert updated.plain_body == "Second"
        assert (await provider.get_draft("support", draft.id)).to == ["customer@example.test"]
        before = len(relay.accepted)
        sent = await provider.send_draft("support", draft.id)
        assert len(relay.accepted) == before + 1
        out = relay.accepted[-1].data
        assert b"In-Reply-To: <ask-1@client.example.test>" in out and b"Subject: Re: Help" in out
        assert b"X-Triage" not in out
        # A retried send finds the reply in Sent and sends nothing.
        assert (await provider.send_draft("support", draft.id)).message_id == sent.message_id
        assert len(relay.accepted) == before + 1
        with pytest.raises(MailNotFound):
            await provider.get_draft("support", draft.id)
        thread = await provider.get_thread("support", message.thread_id)
        assert [(m.outbound, m.in_reply_to) for m in thread.messages] == [
            (False, None),
            (True, message.message_id),
        ]
        assert sent.thread_id == message.thread_id
        assert provider.last_send_window is not None
