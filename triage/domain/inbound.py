"""Any provider's inbound mail as the workflow's InboundMessage (``build_inbound``).

Also the pure decision of which mail must never start a triage: our own
mail, auto-replies and bounces (answering them is how mail loops start).

Addresses and subjects are customer input that ends up in headers, so they
are parsed (the standard library's RFC 5322 header machinery), never passed
through: a reply goes to exactly one bare address (``ann@example.org``, no
display name), the sender's, or a single Reply-To on the sender's domain.
Anything else (lists, groups, malformed or ambiguous addresses, control
characters) leaves ``reply_address`` empty or records ``address_problem``,
and the message goes to a human with that reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import utils as email_utils
from email.headerregistry import AddressHeader, HeaderRegistry
from functools import cache
from typing import cast

from triage.domain.escaping import fit
from triage.domain.languages import packs, shared
from triage.domain.models import GuardFlag, InboundMessage
from triage.domain.replies import reply_text
from triage.domain.senders import authentication_problem
from triage.domain.text import html_to_text

# Temporal payloads are capped (2 MB by default); the full text stays in the inbox.
MAX_PLAIN_CHARS = 50_000
MAX_HTML_CHARS = 100_000


@cache
def _auto_reply_subject() -> re.Pattern[str]:
    """Each pack's auto_reply_subjects (pack.toml), and bounces and the languages without a pack;
    built on first use: importing this module reads no pack (a restarted worker answers sooner)."""
    subjects = [
        *shared("detection")["auto_reply_subjects"],
        *(a for p in packs() for a in p.info.auto_reply_subjects),
    ]
    return re.compile(rf"^\s*({'|'.join(subjects)})\b", re.IGNORECASE)


_SYSTEM_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_ADDRESS = re.compile(r"<([^<>]+)>\s*$")

# C0 and C1 controls, DEL, and the Unicode line/paragraph separators: none may reach a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# What we are willing to send to: a dot-atom local part and a host name with a dot.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
MAX_ADDRESS_CHARS = 254  # RFC 5321 path limit
MAX_SUBJECT_CHARS = 900  # a header line stays under RFC 5322's 998 characters with "Re: "
MAX_FIELD_CHARS = 1000

_HEADERS = HeaderRegistry()


@dataclass(frozen=True)
class ParsedAddress:
    """One address header, parsed: the single address in it, or why there is none."""

    address: str | None
    problem: str | None = None


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def clean_header_text(text: str | None, limit: int = MAX_FIELD_CHARS) -> str:
    """Header-safe text: control characters become spaces, runs of space collapse."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", text or "")).strip()[:limit]


def valid_address(addr_spec: str) -> bool:
    """A bare ``local@domain`` we are willing to put in a To header."""
    local, at, domain = addr_spec.rpartition("@")
    return (
        bool(at)
        and len(addr_spec) <= MAX_ADDRESS_CHARS
        and _LOCAL_PART.match(local) is not None
        and _DOMAIN.match(domain) is not None
    )


def parse_single_address(value: str | None, field: str = "From") -> ParsedAddress:
    """Exactly one well-formed address in ``value``, or the reason there is not.

    Two standard-library parsers must agree (``email.headerregistry`` and
    ``email.utils.getaddresses``): where they read the same text differently,
    so may the mail service, and a human decides.
    """
    raw = value or ""
    shown = clean_header_text(raw, 80)
    if not raw.strip():
        return ParsedAddress(None, f"{field} is empty")
    if has_control(raw):
        return ParsedAddress(None, f"{field} contains control characters (CR, LF or similar): {shown!r}")
    if len(raw) > MAX_FIELD_CHARS:
        return ParsedAddress(None, f"{field} is too long ({len(raw)} characters)")
    try:
        header = _HEADERS(field.lower(), raw)
        addresses = list(cast(AddressHeader, header).addresses)
        defects = list(header.defects)
        pairs = [pair for pair in email_utils.getaddresses([raw]) if any(pair)]
    except Exception as err:  # the stdlib parser raises odd errors on odd input (".:" -> AttributeError)
        return ParsedAddress(None, f"{field} does not parse ({type(err).__name__}): {shown!r}")
    if len(addresses) != 1 or len(pairs) != 1:
        count = max(len(addresses), len(pairs))
        what = "no address" if 0 in (len(addresses), len(pairs)) else f"{count} addresses"
        return ParsedAddress(None, f"{field} holds {what}, not one: {shown!r}")
    if defects:
        return ParsedAddress(None, f"{field} is malformed ({defects[0]}): {shown!r}")
    addr_spec = addresses[0].addr_spec
    if addr_spec.lower() != pairs[0][1].lower():
        return ParsedAddress(None, f"{field} is ambiguous (parsers disagree): {shown!r}")
    if not valid_address(addr_spec):
        return ParsedAddress(None, f"{field} is not a usable address: {shown!r}")
    local, _, domain = addr_spec.rpartition("@")
    return ParsedAddress(f"{local}@{domain.lower()}")


def reply_target(from_address: str, reply_to: str | None = None) -> ParsedAddress:
    """Where a reply may go: the sender, or a single Reply-To on the sender's own domain.

    The answer carries an address and a problem together when a reply is
    possible but a human should look first (a Reply-To elsewhere).
    """
    sender = parse_single_address(from_address, "From")
    if sender.address is None or not (reply_to or "").strip():
        return sender
    alternative = parse_single_address(reply_to, "Reply-To")
    if alternative.address is None:
        return ParsedAddress(sender.address, f"{alternative.problem}; the draft replies to the sender")
    sender_domain = sender.address.rpartition("@")[2]
    if alternative.address.rpartition("@")[2].lower() != sender_domain:
        return ParsedAddress(
            sender.address,
            f"Reply-To {alternative.address} is on another domain than the sender "
            f"({sender_domain}); the draft replies to the sender",
        )
    return ParsedAddress(alternative.address)


def message_reply_target(message: InboundMessage) -> ParsedAddress:
    """The message's reply target; parsed from its From when it was built elsewhere."""
    if message.reply_address is None and message.address_problem is None:
        return reply_target(message.from_address)
    if message.reply_address is not None and not valid_address(message.reply_address):
        return ParsedAddress(None, "the recorded reply address is not a usable address")
    return ParsedAddress(message.reply_address, message.address_problem)


def address_flags(message: InboundMessage) -> list[GuardFlag]:
    """``bad_address`` when no single sender address can be answered without a human;
    ``unauthenticated_sender`` when the provider says the From may be forged."""
    target = message_reply_target(message)
    flags = [GuardFlag.BAD_ADDRESS] if target.address is None or target.problem else []
    if message.authentication_problem:
        flags.append(GuardFlag.UNAUTHENTICATED)
    return flags


def decode_subject(subject: str | None) -> str:
    """The subject as text: RFC 2047 words decoded, then made header-safe."""
    raw = subject or ""
    if "=?" in raw:
        try:
            raw = str(_HEADERS("subject", _CONTROL.sub(" ", raw)))
        except Exception:  # undecodable: keep the text as it came
            pass
    return clean_header_text(raw, MAX_SUBJECT_CHARS)


# A link, or text a mail client would turn into one: a scheme, "www.", an address, or a
# dotted name ending in letters (evil.example/promo, bit.ly, paypa1.com).
_LINK_LIKE = re.compile(r"(?i)([a-z][a-z0-9+.-]*:/|www\.|@|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}\b)")


def subject_carries_link(subject: str | None) -> bool:
    return bool(subject) and _LINK_LIKE.search(clean_header_text(subject, MAX_SUBJECT_CHARS)) is not None


def reply_subject(subject: str | None, language: str | None = None) -> str:
    """``Re: <subject>`` with nothing in it that could end the header line.

    A mail without a subject gets ``Re: your message`` in the customer's language (English
    when there is no reply text in it), never a bare ``Re:``; so does one whose subject
    carries a link or looks like one: whoever forged the From must not get us to deliver
    their text to someone else (backscatter).
    """
    if subject_carries_link(subject):
        subject = None
    cleaned = clean_header_text(subject, MAX_SUBJECT_CHARS)
    if not cleaned or cleaned.lower() == "re:":
        return f"Re: {reply_text(language or 'en').no_subject}"
    return cleaned if cleaned[:3].lower() == "re:" else f"Re: {cleaned}"


def __getattr__(name: str) -> str:
    """``NEUTRAL_REPLY_SUBJECT``: what an English reply says instead of a missing subject, or one
    that carries a link; read from the packs on first use (importing this module reads none)."""
    if name == "NEUTRAL_REPLY_SUBJECT":
        return reply_subject(None)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# What Markdown makes something of inside a line: code, emphasis, strikethrough, links and
# images (brackets), raw HTML and autolinks (angle brackets), table cells, and the escape itself.
# Only these are escaped: the Temporal Web UI shows any other escape as a stray backslash
# (``tom.ridley\@example.com``, ``\"a reply\"``), as we saw in Chromium.
_MARKDOWN_INLINE = frozenset("\\`*_[]<>~|")
# What makes a block of a line's start: a heading, a quote, a list item, a setext underline.
_MARKDOWN_BLOCK_START = re.compile(r"^(?:[#>+=-]|\d{1,9}[.)])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")


def markdown_text(text: str | None, limit: int = 300) -> str:
    """Untrusted text as inert Markdown (the Temporal Web UI renders summaries), ``limit`` long at most.

    One line; the characters Markdown gives a meaning escaped with a backslash (a
    line-start marker too), so ``[x](http://evil)``, ``**``, ``<b>`` and ``# `` stay
    text while ``@``, quotes and ``;`` read as written; and ``://`` / ``www.`` broken
    with a zero-width space so no renderer's autolinker makes a bare URL clickable.
    """
    line = clean_header_text(text, MAX_FIELD_CHARS)
    line = _AUTOLINK.sub(lambda m: m.group(1)[:-1] + "\u200b" + m.group(1)[-1], line)
    pieces = ["\\" + char if char in _MARKDOWN_INLINE else char for char in line]
    if (start := _MARKDOWN_BLOCK_START.match(line)) is not None:
        marker = start.end() - 1  # "1." escapes its dot, "#" itself
        pieces[marker] = "\\" + line[marker]
    return fit(pieces, limit)  # cut on whole characters, never between a backslash and its character


def bare_address(value: str) -> str:
    """``"Ann <ann@x.org>"`` -> ``ann@x.org`` (lower-cased)."""
    parsed = parse_single_address(value)
    if parsed.address is not None:
        return parsed.address.lower()
    match = _ADDRESS.search(value)
    return clean_header_text(match.group(1) if match else value).lower()


def _recipients(values: list[str]) -> list[str]:
    """The inbound To list as bare addresses; what does not parse is left out."""
    found: list[str] = []
    for value in values:
        if has_control(value) or len(value) > MAX_FIELD_CHARS:
            continue
        try:
            addresses = cast(AddressHeader, _HEADERS("to", value)).addresses
        except Exception:  # see parse_single_address
            continue
        found.extend(a.addr_spec for a in addresses if valid_address(a.addr_spec))
    return found


def skip_reason(from_address: str, subject: str, own_addresses: set[str]) -> str | None:
    sender = bare_address(from_address)
    if sender and sender in own_addresses:
        return "sent by this inbox (loop)"
    if _SYSTEM_SENDER.match(sender):
        return "bounce from a mail system"
    if _auto_reply_subject().match(subject or ""):
        return "automatic reply"
    return None


def _bounded(text: str, limit: int) -> tuple[str, bool]:
    return (text[:limit], True) if len(text) > limit else (text, False)


def build_inbound(
    *,
    message_id: str,
    inbox_id: str,
    thread_id: str | None,
    from_address: str,
    to: list[str],
    subject: str | None,
    plain_body: str | None,
    html_body: str | None,
    received_at: datetime | None,
    reply_to: str | None = None,
    authentication_results: str | None = None,
) -> InboundMessage:
    text = plain_body or ""
    if not text.strip() and html_body:
        text = html_to_text(html_body)
    plain, plain_cut = _bounded(text, MAX_PLAIN_CHARS)
    html, html_cut = _bounded(html_body, MAX_HTML_CHARS) if html_body else (None, False)
    target = reply_target(from_address, reply_to)
    return InboundMessage(
        message_id=message_id,
        inbox_id=inbox_id,
        thread_id=thread_id,
        # Kept for people to read (no control characters); replies use reply_address.
        from_address=clean_header_text(from_address),
        to=_recipients(to),
        subject=decode_subject(subject),
        reply_address=target.address,
        address_problem=target.problem,
        authentication_problem=authentication_problem(authentication_results),
        plain_body=plain,
        html_body=html,
        received_at=received_at,
        body_chars=len(text),
        truncated=plain_cut or html_cut,
    )
