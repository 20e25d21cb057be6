"""Addresses and headers are parsed, never passed through (issue 12, item 1).

A reply goes to exactly one bare address; CR, LF and other control characters
never reach a header; a From the parser cannot read as one address goes to
review with a reason, never to ``failed`` and never out.
"""

from __future__ import annotations

import asyncio
import re
from email.utils import getaddresses

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError

from activities.mail import MailActivities
from starter.review import ReviewRejected, decide_current, get_state
from tests.conftest import inbound, running_worker, sent_mail
from tests.helpers import running_watcher
from tests.scripted_provider import subject as scripted
from triage.domain.contracts import workflow_id_for
from triage.domain.inbound import (
    NEUTRAL_REPLY_SUBJECT,
    ParsedAddress,
    build_inbound,
    message_reply_target,
    parse_single_address,
    reply_subject,
    reply_target,
)
from triage.domain.models import (
    GuardFlag,
    InboundMessage,
    ReviewAction,
    SaveDraftRequest,
    SendDraftRequest,
    TriageStatus,
)
from triage.mail.factory import build_mail_provider
from triage.mail.sim.wire import single_address

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _inbound(from_address: str, subject: str = "Hi", reply_to: str | None = None) -> InboundMessage:
    return build_inbound(
        message_id="m1",
        inbox_id="support",
        thread_id="t1",
        from_address=from_address,
        to=["support@acme-help.test"],
        subject=subject,
        plain_body="How do I reset my password?",
        html_body=None,
        received_at=None,
        reply_to=reply_to,
    )


def _draft_request(message: InboundMessage) -> SaveDraftRequest:
    """What ``SupportTriageWorkflow._save_draft`` builds: the same two calls."""
    address = message_reply_target(message).address
    return SaveDraftRequest(
        inbox_id=message.inbox_id,
        reply_to_message_id=message.message_id,
        to=[address] if address else [],
        subject=reply_subject(message.subject),
        body="hello",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ann@example.org", "ann@example.org"),
        ("Ann Lee <ann@Example.ORG>", "ann@example.org"),
        ('"Lee, Ann" <ann@example.org>', "ann@example.org"),
        ('"Bob <boss@corp.test>" <bob@example.org>', "bob@example.org"),
        ("Ann (support) <ann@example.org>", "ann@example.org"),
        ("=?utf-8?q?Ann_L=C3=A9e?= <ann@example.org>", "ann@example.org"),
    ],
)
def test_one_address_is_the_bare_address(raw, expected):
    assert parse_single_address(raw) == ParsedAddress(expected, None)


@pytest.mark.parametrize(
    "raw",
    [
        "victim4@third.test, Eve <eve@evil.test>",  # the reproduction: two recipients
        "Lee, Ann <ann@example.org>",  # an unquoted comma is a list
        "ann@example.org\r\nBcc: eve@evil.test",
        "ann@example.org\nBcc: eve@evil.test",
        "Ann\x00 <ann@example.org>",
        "Ann\u2028 <ann@example.org>",
        "Bob <x> <bob@example.org>",  # a display name with < and >: two parsers, two readings
        "Eve <eve@evil.test",
        "undisclosed-recipients:;",
        "friends: a@x.test, b@y.test;",
        "ann",
        "a@b@c.test",
        "<>",
        "ann@localhost",
        '"a b"@example.org',
        "x@[127.0.0.1]",
        "",
        "   ",
        "a" * 300 + "@example.org",
    ],
)
def test_anything_but_one_address_has_a_problem_and_no_address(raw):
    parsed = parse_single_address(raw)
    assert parsed.address is None
    assert parsed.problem and parsed.problem.startswith("From")
    assert not CONTROL.search(parsed.problem)
    message = _inbound(raw)
    assert message.reply_address is None and message.address_problem == parsed.problem
    assert not CONTROL.search(message.from_address)
    assert _draft_request(message).to == []


def test_reply_to_on_the_senders_domain_is_used_and_elsewhere_is_review():
    assert reply_target("ann@example.org", "Billing <billing@EXAMPLE.org>") == ParsedAddress(
        "billing@example.org"
    )
    elsewhere = reply_target("ann@example.org", "eve@evil.test")
    assert elsewhere.address == "ann@example.org" and "another domain" in elsewhere.problem
    listed = reply_target("ann@example.org", "a@example.org, b@example.org")
    assert listed.address == "ann@example.org" and "2 addresses" in listed.problem
    message = _inbound("ann@example.org", reply_to="eve@evil.test")
    assert _draft_request(message).to == ["ann@example.org"]
    assert message.address_problem


def test_subject_is_decoded_and_made_header_safe():
    message = _inbound("ann@example.org", "Hello\r\nBcc: eve@evil.test")
    assert message.subject == "Hello Bcc: eve@evil.test"
    # The header stays one line; and a subject that names an address is not repeated at all.
    assert _draft_request(message).subject == "Re: your message"
    assert reply_subject("Hello\r\nBcc: the whole team") == "Re: Hello Bcc: the whole team"
    # An encoded word that decodes to CRLF is cleaned after decoding.
    assert _inbound("a@example.org", "=?utf-8?q?Hi=0D=0ABcc:_e@evil.test?=").subject == "Hi Bcc: e@evil.test"
    assert reply_subject("RE: x\u2028y") == "RE: x y"
    assert len(reply_subject("x" * 5000)) < 998


def test_a_message_built_elsewhere_is_parsed_from_its_from():
    legacy = InboundMessage(message_id="m", inbox_id="i", from_address="a@x.test, Eve <e@evil.test>")
    assert message_reply_target(legacy).address is None
    clean = InboundMessage(message_id="m", inbox_id="i", from_address="Ann <ann@example.org>")
    assert message_reply_target(clean).address == "ann@example.org"
    forged = InboundMessage(
        message_id="m", inbox_id="i", from_address="x", reply_address="a@x.test\r\nBcc: e"
    )
    assert message_reply_target(forged).address is None


# ---- hypothesis: no reply ever has two recipients or a control character in a header -------

_ATOMS = st.sampled_from(
    [
        "ann@example.org",
        "Eve <eve@evil.test>",
        ",",
        ", ",
        ";",
        ":",
        "<",
        ">",
        '"',
        "\\",
        "(",
        ")",
        "\r\n",
        "\n",
        "\r",
        "\t",
        "\x00",
        "\x85",
        "\u2028",
        "Bcc: ",
        "To: ",
        "@",
        ".",
        " ",
        "=?utf-8?q?",
        "?=",
        "=0D=0A",
        "a",
        "Ann Lee",
        "x.test",
        "[1.2.3.4]",
        "undisclosed:",
        "é",
    ]
)
HOSTILE_TEXT = st.one_of(
    st.lists(_ATOMS, max_size=12).map("".join),
    st.text(max_size=80),
    st.lists(st.one_of(_ATOMS, st.text(max_size=6)), max_size=10).map("".join),
)
HYPOTHESIS_EXAMPLES = 3000
END_TO_END_EXAMPLES = 12


@hsettings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_=HOSTILE_TEXT, subject=HOSTILE_TEXT, reply_to=st.one_of(st.none(), HOSTILE_TEXT))
def test_no_reply_has_more_than_one_recipient_or_a_control_character(from_, subject, reply_to):
    message = _inbound(from_, subject, reply_to)
    request = _draft_request(message)
    assert len(request.to) <= 1
    for recipient in request.to:
        assert not CONTROL.search(recipient)
        assert len([p for p in getaddresses([recipient]) if any(p)]) == 1
        assert single_address(recipient)  # the emulator (the mail service) accepts it
        assert recipient == message_reply_target(message).address
    assert not CONTROL.search(request.subject)
    # No usable address means review: the classify activity raises bad_address.
    if not request.to or message.address_problem:
        assert message_reply_target(message).problem


# ---- the emulator refuses what a mail service refuses ---------------------------------------


async def test_emulator_refuses_lists_and_control_characters(mailsim, control):
    headers = {"x-api-key": mailsim.api_key}
    async with httpx.AsyncClient(base_url=mailsim.base_url, headers=headers) as api:
        drafts = f"/inboxes/{mailsim.inbox_id}/drafts"
        for to in (
            ["victim4@third.test, Eve <eve@evil.test>"],
            ["ann@example.org\r\nBcc: eve@evil.test"],
            "Lee, Ann <ann@example.org>",
        ):
            answer = await api.post(drafts, json={"to": to, "subject": "Re: hi"})
            assert answer.status_code == 400, (to, answer.text)
        answer = await api.post(
            drafts, json={"to": ["ann@example.org"], "subject": "Re: x\r\nBcc: e@evil.test"}
        )
        assert answer.status_code == 400
        answer = await api.post(
            f"/inboxes/{mailsim.inbox_id}/send", json={"to": ["a@x.test, b@y.test"], "subject": "x"}
        )
        assert answer.status_code == 400
        assert (
            await api.post(drafts, json={"to": ['"Lee, Ann" <ann@example.org>'], "subject": "ok"})
        ).status_code == 201
        # A reply to a sender that is not one address is refused, not sent to the list.
        created = await inbound(control, **{"from": "a@x.test, Eve <eve@evil.test>"})
        reply = await api.post(
            f"/inboxes/{mailsim.inbox_id}/reply/{created['message_id']}", json={"plainBody": "hi"}
        )
        assert reply.status_code == 400
        draft = (
            await api.post(drafts, json={"replyToMessageId": created["message_id"], "plainBody": "x"})
        ).json()
        sent = await api.post(f"{drafts}/{draft['id']}/send")
        assert sent.status_code == 400
    assert await sent_mail(control) == []


# ---- end to end: emulator, watcher, worker, real Temporal -----------------------------------

FAQ = scripted("faq", 0.97, text="How do I reset my password?")
END_TO_END = {
    # name: (from, subject, goes out?)
    "list": ("victim4@third.test, Eve <eve@evil.test>", FAQ, False),
    "crlf-from": ("ann@example.org\r\nBcc: eve@evil.test", FAQ, False),
    "angle-name": ("Bob <x> <bob@example.org>", FAQ, False),
    "unclosed": ("Eve <eve@evil.test", FAQ, False),
    # The emulator would take this one; our parser does not (no dot): nothing may go to it.
    "no-dot": ("ann@localhost", FAQ, False),
    "group": ("undisclosed-recipients:;", FAQ, False),
    "crlf-subject": ("Ann <ann@example.org>", FAQ + "\r\nBcc: eve@evil.test", True),
    "quoted-name": ('"Lee, Ann <x@evil.test>" <lee@example.org>', FAQ, True),
    "plain": ("carl@example.org", FAQ, True),
}


async def _settled(client, message_id: str):
    async with asyncio.timeout(60):
        while True:
            try:
                state = await get_state(client, workflow_id_for(message_id))
            except Exception:  # not started yet
                state = None
            if state and state.status not in (TriageStatus.CLASSIFYING, TriageStatus.DRAFTING):
                return state
            await asyncio.sleep(0.2)


async def test_hostile_addresses_end_to_end(dev_env, settings, control):
    async with running_worker(dev_env.client, settings), running_watcher(dev_env.client, settings):
        created = {
            name: await inbound(control, **{"from": sender, "subject": subject})
            for name, (sender, subject, _) in END_TO_END.items()
        }
        states = {name: await _settled(dev_env.client, c["message_id"]) for name, c in created.items()}
        for name, (_, _, goes_out) in END_TO_END.items():
            state = states[name]
            if goes_out:
                assert state.status is TriageStatus.AUTO_SENT, (name, state.error)
            else:
                assert state.status is TriageStatus.AWAITING_REVIEW, (name, state.status, state.error)
                assert GuardFlag.BAD_ADDRESS in state.classification.guard_flags, name
                assert state.message.address_problem, name
                assert any("bad_address" in r for r in state.policy_decision.reasons), name

        # Approving a reply with nobody to send it to is refused; the review stays open.
        for name in ("list", "no-dot"):
            wid = workflow_id_for(created[name]["message_id"])
            with pytest.raises(ReviewRejected, match="single, well-formed recipient"):
                await decide_current(dev_env.client, wid, ReviewAction.APPROVE, "alice")
            assert (await get_state(dev_env.client, wid)).status is TriageStatus.AWAITING_REVIEW
        _, outcome = await decide_current(dev_env.client, wid, ReviewAction.REJECT, "alice", reason="spoofed")
        assert outcome.status is TriageStatus.REJECTED

    sent = await sent_mail(control)
    assert sorted(s["to"][0] for s in sent) == ["ann@example.org", "carl@example.org", "lee@example.org"]
    for message in sent:
        assert len(message["to"]) == 1
        assert len([p for p in getaddresses(message["to"]) if any(p)]) == 1
        assert not CONTROL.search(message["to"][0]) and not CONTROL.search(message["subject"])
    crlf = next(s for s in sent if s["to"] == ["ann@example.org"])
    # A subject that names an address is never repeated: the neutral subject, one line.
    assert crlf["subject"] == NEUTRAL_REPLY_SUBJECT


# ---- hypothesis through the emulator: what the pipeline makes, the service takes, and no more ----

NO_SURROGATES = HOSTILE_TEXT.map(lambda text: "".join(c for c in text if not "\ud800" <= c <= "\udfff"))


@hsettings(max_examples=END_TO_END_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_=NO_SURROGATES.filter(lambda text: text.strip()), subject=NO_SURROGATES)
async def test_replies_through_the_emulator_have_one_clean_recipient(
    mailsim, settings, control, from_, subject
):
    created = await control.post(
        "/_sim/inbound", json={"from": from_, "subject": subject, "plain_body": "Hi"}
    )
    assert created.status_code == 201, created.text
    message_id = created.json()["message_id"]
    async with build_mail_provider(settings) as mail:
        message = await mail.get_message(mailsim.inbox_id, message_id)
        request = _draft_request(message)
        # The emulator refuses what a mail service refuses: it must take whatever we make.
        draft = await mail.create_draft(
            mailsim.inbox_id,
            to=request.to,
            subject=request.subject,
            plain_body="x",
            reply_to_message_id=message_id,
        )
        send = SendDraftRequest(inbox_id=mailsim.inbox_id, draft_id=draft.id, reply_to_message_id=message_id)
        try:
            await MailActivities(mail).send_draft(send)
            assert request.to, "a draft without a recipient went out"
        except ApplicationError as err:
            assert not request.to and err.type == "NoRecipient"
    for sent in await sent_mail(control):
        assert len(sent["to"]) == 1 and len([p for p in getaddresses(sent["to"]) if any(p)]) == 1
        assert not CONTROL.search(sent["to"][0]) and not CONTROL.search(sent["subject"])
