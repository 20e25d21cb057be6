"""Who a sender is (triage.domain.senders): the mailbox, its domain, the budgets, the authentication verdict."""

from __future__ import annotations

from datetime import timedelta

import pytest

from triage.domain.inbound import NEUTRAL_REPLY_SUBJECT, reply_subject
from triage.domain.senders import (
    authentication_problem,
    budgets,
    counter_key,
    inbox_share,
    mailbox,
    registrable_domain,
    same_customer,
)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("pat@example.org", "pat@example.org"),
        ("Pat@Example.ORG", "pat@example.org"),
        ("pat+1@example.org", "pat@example.org"),
        ("pat+promo+x@example.org", "pat@example.org"),
        ('"Pat Smith" <PAT+10@example.org>', "pat@example.org"),
        ("p.a.t@example.org", "p.a.t@example.org"),  # dots matter where the provider keeps them
        ("p.a.t+x@gmail.com", "pat@gmail.com"),
        ("P.At@GoogleMail.com", "pat@gmail.com"),
        ("+tag@example.org", "+tag@example.org"),  # nothing before the tag: the address itself
        ("not an address", "not an address"),
    ],
)
def test_the_mailbox_an_address_delivers_to(address, expected):
    assert mailbox(address) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("a@example.org", "example.org"),
        ("a@one.example.org", "example.org"),
        ("a@five.four.example.org", "example.org"),
        ("a@shop.example.co.uk", "example.co.uk"),
        ("ceo@mail.bank.example", "bank.example"),
        ("a@localhost", "localhost"),
    ],
)
def test_the_registrable_domain(address, expected):
    assert registrable_domain(address) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Vera Ng <vera@example.org>", "V. <VERA@example.org>", True),  # another display name
        ("vera@example.org", "vera+billing@example.org", True),
        ("vera@example.org", "mallory@example.org", False),  # a colleague is another customer
        ("vera@example.org", "vera@example.net", False),
        ("", "", False),
    ],
)
def test_same_customer(a, b, same):
    assert same_customer(a, b) is same


def test_every_budget_a_reply_draws_on():
    drawn, pool = budgets(
        "Pat <pat+7@Sub.Example.org>",
        per_sender=3,
        sender_window=timedelta(days=1),
        per_domain=20,
        per_inbox=200,
        window=timedelta(hours=1),
        counters=64,
    )
    assert [(b.kind, b.key, b.limit, b.window, b.share) for b in drawn] == [
        ("mailbox", "mailbox:pat@sub.example.org", 3, timedelta(days=1), False),
        ("domain", "domain:example.org", 20, timedelta(hours=1), False),
        ("inbox", "inbox:share", 2, timedelta(hours=1), True),
    ]
    assert (pool.kind, pool.key, pool.limit, pool.share) == ("inbox", "inbox", 200 - 64 * 2, False)
    # A mailbox and its domain are counted on the same counter, whatever the spelling.
    assert counter_key("pat+1@a.example.org") == counter_key("PAT@b.example.org") == "example.org"


@pytest.mark.parametrize(
    ("per_inbox", "per_domain", "counters", "share"),
    [
        (200, 20, 64, 2),  # the defaults: 128 in shares, a pool of 72
        (1000, 20, 64, 15),
        (100, 20, 64, 1),
        (83, 20, 64, 0),  # a share of 1 would leave a pool under a domain's budget
        (3, 20, 64, 0),  # a small inbox budget: the pool alone, as one counter
        (0, 0, 64, 0),
        (64, 0, 64, 1),  # no domain budget to keep: all in shares
    ],
)
def test_the_inbox_budget_is_split_into_shares_and_a_pool(per_inbox, per_domain, counters, share):
    assert inbox_share(per_inbox, per_domain, counters) == share
    pool = per_inbox - share * counters
    assert pool >= 0 and share * counters + pool == per_inbox  # never more than the inbox budget
    assert pool >= min(per_domain, per_inbox)  # one busy domain can still use its whole budget


@pytest.mark.parametrize(
    ("results", "problem"),
    [
        (None, None),
        ("", None),
        ("mx.example.net; spf=pass smtp.mailfrom=example.org; dkim=pass; dmarc=pass", None),
        ("mx.example.net; spf=none; dkim=none", None),  # nothing to check against: not a failure
        ("mx.example.net; spf=fail smtp.mailfrom=bank.example", "the sender failed SPF (fail)"),
        (
            "mx; spf=softfail; dkim=fail; dmarc=fail (p=reject)",
            "the sender failed DKIM (fail), DMARC (fail), SPF (softfail)",
        ),
        ("mx; dkim=fail header.d=a.example; dkim=pass header.d=b.example", None),  # one valid signature
        ("mx; DMARC=PermError", "the sender failed DMARC (permerror)"),
    ],
)
def test_authentication_results(results, problem):
    assert authentication_problem(results) == problem


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("How do I reset my password?", "Re: How do I reset my password?"),
        ("Re: Invoice #123. Wrong amount", "Re: Invoice #123. Wrong amount"),
        ("v2.0 crashes on start", "Re: v2.0 crashes on start"),
        ("Visit evil.example/promo for free gifts", NEUTRAL_REPLY_SUBJECT),
        ("see https://x.example", NEUTRAL_REPLY_SUBJECT),
        ("www dot example? WWW.example", NEUTRAL_REPLY_SUBJECT),
        ("write to prizes@evil.example", NEUTRAL_REPLY_SUBJECT),
        ("Re: bit.ly/abc", NEUTRAL_REPLY_SUBJECT),
    ],
)
def test_a_reply_never_repeats_a_subject_that_carries_a_link(subject, reply):
    assert reply_subject(subject) == reply


def test_a_thread_belongs_to_its_sender():
    from triage.domain.senders import customer_messages
    from triage.mail.models import ThreadMessage

    thread = [
        ThreadMessage(id="v1", outbound=False, from_address="Vera <vera@example.org>"),
        ThreadMessage(id="r1", outbound=True, from_address="support@acme.test", in_reply_to="v1"),
        ThreadMessage(id="m1", outbound=False, from_address="Mallory <mallory@example.net>"),
        ThreadMessage(id="r2", outbound=True, from_address="support@acme.test", in_reply_to="m1"),
        ThreadMessage(
            id="c1", outbound=False, from_address="colleague@example.org"
        ),  # was in CC: another customer
        ThreadMessage(id="v2", outbound=False, from_address="V. Lind <VERA+x@example.org>"),
        ThreadMessage(id="r3", outbound=True, from_address="support@acme.test"),  # to whom? not hers
    ]
    assert customer_messages(thread, "vera@example.org") == {"v1", "r1", "v2"}
    assert customer_messages(thread, "mallory@example.net") == {"m1", "r2"}
    assert customer_messages(thread, "nobody@example.org") == set()


def test_a_failing_sender_is_flagged_for_review():
    """A provider that reports Authentication-Results (IMAP, say) passes them to build_inbound."""
    from triage.domain.inbound import address_flags, build_inbound
    from triage.domain.models import GuardFlag

    def built(results: str | None):
        return build_inbound(
            message_id="m1",
            inbox_id="i",
            thread_id=None,
            from_address="ceo@bank.example",
            to=[],
            subject="Hello",
            plain_body="How do I reset my password?",
            html_body=None,
            received_at=None,
            authentication_results=results,
        )

    forged = built("mx.acme.test; spf=fail smtp.mailfrom=bank.example; dmarc=fail")
    assert forged.authentication_problem == "the sender failed DMARC (fail), SPF (fail)"
    assert GuardFlag.UNAUTHENTICATED in address_flags(forged)
    assert GuardFlag.UNAUTHENTICATED not in address_flags(built("mx.acme.test; spf=pass; dkim=pass"))
    assert GuardFlag.UNAUTHENTICATED not in address_flags(built(None))  # myagentmail reports none
