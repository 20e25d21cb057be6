"""Who a sender is: one mailbox however its address is spelled, and the budgets it draws on.

Pure functions, shared by every way of counting automatic replies (the counter
workflows today, anything leaner tomorrow) and by the conversation rule that a
thread belongs to its sender. An address is compared by its mailbox, never by
its spelling:

* case is ignored everywhere (``Pat@Example.ORG`` is ``pat@example.org``);
* a ``+tag`` is ignored everywhere (``pat+1@…`` … ``pat+10@…`` are ``pat@…``):
  sub-addressing is a convention of almost every provider, and where it is not,
  treating two tags as one mailbox only means fewer automatic replies;
* dots in the local part are ignored where the provider ignores them (Gmail);
* the display name never counts (``"Vera" <v@x>`` and ``"V. Ng" <v@x>`` are one customer).

The per-domain budget counts the registrable domain (``a.example.com`` and
``b.example.com`` are ``example.com``; ``example.co.uk`` stays itself), read from
the Public Suffix List that ships with ``publicsuffixlist`` (no download).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from email.utils import parseaddr
from functools import cache
from typing import Protocol

from publicsuffixlist import PublicSuffixList
from pydantic import BaseModel, Field

# Providers that deliver ``p.a.t@`` to ``pat@`` (and the domains that are aliases of them).
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}

MAILBOX = "mailbox"
DOMAIN = "domain"
INBOX = "inbox"

# Automatic replies per registrable domain and per inbox, per hour (README: the limits).
DEFAULT_DOMAIN_LIMIT = 20
DEFAULT_INBOX_LIMIT = 200
DEFAULT_BUDGET_WINDOW = timedelta(hours=1)


class Budget(BaseModel):
    """At most ``limit`` automatic replies per ``window`` to whatever ``key`` names."""

    kind: str  # mailbox, domain or inbox
    key: str  # e.g. "mailbox:pat@example.org", "domain:example.org", "inbox:share", "inbox"
    limit: int = Field(ge=0)
    window: timedelta
    # A counter's share of the inbox budget: when it is full the reply is still counted
    # against the others, and the inbox's pool (the rest of the inbox budget) decides.
    share: bool = False


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def mailbox(address: str) -> str:
    """The mailbox an address delivers to: lower case, no ``+tag``, no dots where ignored.

    Accepts a bare address or a header value with a display name; an unparseable
    value is returned lower-cased and stripped (it still counts as itself).
    """
    _, parsed = parseaddr(address)
    value = (parsed if "@" in parsed else address).strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local:
        return value
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        domain = DOTS_IGNORED[domain]
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


def registrable_domain(address: str) -> str:
    """The domain someone registered: ``mail.bank.example`` -> ``bank.example``."""
    domain = mailbox(address).rpartition("@")[2]
    if not domain:
        return ""
    return _suffixes().privatesuffix(domain) or domain


def same_customer(a: str, b: str) -> bool:
    """Do two addresses deliver to the same mailbox (display names and spelling aside)?"""
    return bool(a.strip()) and mailbox(a) == mailbox(b)


class _ThreadMessage(Protocol):
    id: str
    outbound: bool
    from_address: str
    in_reply_to: str | None


def customer_messages(messages: Iterable[_ThreadMessage], customer: str) -> set[str]:
    """The ids of a thread's messages that are this customer's conversation.

    The customer's own messages (any display name, any spelling of the mailbox) and our
    replies to them. Anyone else who writes into the thread, a colleague who was in CC
    included, is another customer: their messages and our replies to them are theirs.
    """
    mine: set[str] = set()
    for message in messages:  # oldest first: a reply follows what it answers
        if message.outbound:
            if message.in_reply_to in mine:
                mine.add(message.id)
        elif same_customer(message.from_address, customer):
            mine.add(message.id)
    return mine


def inbox_share(per_inbox: int, per_domain: int, counters: int) -> int:
    """Each counter's share of the inbox budget; the inbox's own counter keeps the rest (the pool).

    ``counters`` shares and the pool add up to ``per_inbox``, so the inbox never sends more.
    The pool keeps at least a domain's budget: one busy domain (every gmail.com customer is on
    one counter) still gets its whole domain budget while the rest of the inbox is quiet.
    """
    return max(0, (per_inbox - per_domain) // counters)


def budgets(
    address: str,
    *,
    per_sender: int,
    sender_window: timedelta,
    per_domain: int,
    per_inbox: int,
    window: timedelta,
    counters: int,
) -> tuple[list[Budget], Budget]:
    """Every budget one automatic reply to ``address`` draws on: its counter's, narrowest first, and the pool.

    The mailbox, the domain and the counter's share of the inbox budget are counted on one
    counter (``counter_key``); the inbox's pool only when that share is used up.
    """
    box = mailbox(address)
    domain = registrable_domain(address) or box
    share = inbox_share(per_inbox, per_domain, counters)
    return [
        Budget(kind=MAILBOX, key=f"{MAILBOX}:{box}", limit=per_sender, window=sender_window),
        Budget(kind=DOMAIN, key=f"{DOMAIN}:{domain}", limit=per_domain, window=window),
        Budget(kind=INBOX, key=f"{INBOX}:share", limit=share, window=window, share=True),
    ], Budget(kind=INBOX, key=INBOX, limit=per_inbox - share * counters, window=window)


def counter_key(address: str) -> str:
    """What picks the counter shard: the domain, so a mailbox and its domain are counted together."""
    return registrable_domain(address) or mailbox(address)


# "spf=fail", "dkim=permerror", "dmarc=fail (p=reject)": the methods a forged From fails.
_AUTH_RESULT = re.compile(r"(?i)\b(spf|dkim|dmarc)\s*=\s*([a-z]+)")
_FAILING = {"fail", "softfail", "permerror"}


def authentication_problem(results: str | None) -> str | None:
    """Why a sender's ``Authentication-Results`` (RFC 8601) say it may be forged, or None.

    A method counts as failed when it says fail, softfail or permerror and no other
    result of the same method passed (several DKIM signatures: one valid is enough).
    Absent or "none" results are not a failure: most mail services report nothing.
    """
    if not results:
        return None
    outcomes: dict[str, set[str]] = {}
    for method, result in _AUTH_RESULT.findall(results):
        outcomes.setdefault(method.lower(), set()).add(result.lower())
    failed = [m for m, seen in outcomes.items() if seen & _FAILING and "pass" not in seen]
    if not failed:
        return None
    return "the sender failed " + ", ".join(
        f"{m.upper()} ({'/'.join(sorted(outcomes[m] & _FAILING))})" for m in sorted(failed)
    )
