"""Threads over IMAP: the pure decision (table) and three clients' header styles through Dovecot."""

from __future__ import annotations

import pytest

from tests.imap_env import imap_settings, mail, needs_dovecot
from triage.mail.imap.mime import id_for, is_reply_subject, normalized_subject, thread_id_for
from triage.mail.imap.provider import ImapProvider
from triage.mail.imap.threads import Envelope, assign_threads


@pytest.mark.parametrize(
    ("subject", "normal", "reply"),
    [
        ("Re: Invoice", "invoice", True),
        ("RE: Invoice", "invoice", True),
        ("AW: Re: Invoice", "invoice", True),
        ("SV: Invoice", "invoice", True),
        ("Fwd: Invoice", "invoice", True),
        ("Re[2]: Invoice", "invoice", True),
        ("[Ticket] Re:   Invoice  ", "invoice", True),
        ("Invoice", "invoice", False),
        ("Re:", "", False),
        ("Reset my password", "reset my password", False),
    ],
)
def test_subject_normalisation(subject, normal, reply):
    assert normalized_subject(subject) == normal
    assert is_reply_subject(subject) is reply


def env(tid, rfc=None, irt=(), refs=(), subject="Invoice", customer="ann@x.org", outbound=False) -> Envelope:
    return Envelope(tid, rfc, tuple(irt), tuple(refs), subject, customer, outbound)


ROOT = thread_id_for("a@x")


@pytest.mark.parametrize(
    ("envelopes", "expected"),
    [
        # Full References (Gmail, Apple Mail, Thunderbird)
        (
            [env("A", "a@x"), env("B", "b@x", irt=["a@x"], refs=["a@x"], subject="Re: Invoice")],
            {"A": ROOT, "B": ROOT},
        ),
        # Only In-Reply-To to a message we hold (Outlook): the parent's thread
        (
            [
                env("A", "a@x"),
                env("R", "r@us", irt=["a@x"], refs=["a@x"], outbound=True),
                env("C", "c@x", irt=["r@us"]),
            ],
            {"A": ROOT, "R": ROOT, "C": ROOT},
        ),
        # A parent we never saw: the root the client named
        ([env("B", "b@x", refs=["a@x", "z@x"])], {"B": ROOT}),
        # No headers at all, a reply subject, the same customer: the fallback
        ([env("A", "a@x"), env("D", "d@x", subject="AW: Invoice")], {"A": ROOT, "D": ROOT}),
        # ... but never another sender's reply-looking subject
        (
            [env("A", "a@x"), env("E", "e@x", subject="Re: Invoice", customer="eve@y.org")],
            {"A": ROOT, "E": thread_id_for("e@x")},
        ),
        # ... nor a subject that is not a reply
        ([env("A", "a@x"), env("F", "f@x")], {"A": ROOT, "F": thread_id_for("f@x")}),
        # No Message-ID: its own (content) id names the thread
        ([env("im_c1")], {"im_c1": thread_id_for("im_c1")}),
    ],
)
def test_assign_threads(envelopes, expected):
    assert assign_threads(envelopes) == expected


@needs_dovecot
async def test_a_thread_across_three_clients_header_styles(dovecot, relay, mailbox):
    customer = "customer@example.test"
    dovecot.deliver(mail(subject="Export fails", message_id="first@gmail.example.test"), mailbox)
    settings = imap_settings(dovecot, relay, mailbox)
    async with ImapProvider.from_settings(settings) as provider:
        first = await provider.get_message("support", id_for("first@gmail.example.test"))
        draft = await provider.create_draft(
            "support",
            to=[customer],
            subject="Re: Export fails",
            plain_body="Which browser?",
            reply_to_message_id=first.message_id,
        )
        await provider.send_draft("support", draft.id)
        reply_id = [a for a in relay.accepted if b"Which browser?" in a.data][-1].data
        ours = reply_id.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode()
        # Outlook: In-Reply-To only, "RE:" and a Thread-Index
        dovecot.deliver(
            mail(
                subject="RE: Export fails",
                body="Firefox.",
                message_id="second@outlook.example.test",
                headers={"In-Reply-To": f"<{ours}>", "Thread-Index": "AQHZ1234"},
            ),
            mailbox,
        )
        # Apple Mail: full References
        dovecot.deliver(
            mail(
                subject="Re: Export fails",
                body="Also Safari.",
                message_id="third@icloud.example.test",
                headers={
                    "In-Reply-To": "<second@outlook.example.test>",
                    "References": f"<first@gmail.example.test> <{ours}> <second@outlook.example.test>",
                },
            ),
            mailbox,
        )
        # A webmail that drops both, answering with a German prefix
        dovecot.deliver(
            mail(subject="AW: Export fails", body="Any news?", message_id="fourth@web.example.test"), mailbox
        )
        # A stranger with a reply-looking subject does not join
        dovecot.deliver(
            mail(
                subject="Re: Export fails",
                body="Me too",
                sender="eve@other.example.test",
                message_id="stranger@web.example.test",
            ),
            mailbox,
        )
        by_id = {}
        async for page in provider.inbound_pages("support", page_size=50, max_pages=2):
            by_id.update({m.message_id: m for m in page})
        thread = {
            by_id[id_for(m)].thread_id
            for m in (
                "first@gmail.example.test",
                "second@outlook.example.test",
                "third@icloud.example.test",
                "fourth@web.example.test",
            )
        }
        assert thread == {first.thread_id}
        assert by_id[id_for("stranger@web.example.test")].thread_id != first.thread_id
        history = await provider.get_thread("support", first.thread_id)
        assert [m.outbound for m in history.messages] == [False, True, False, False, False]
