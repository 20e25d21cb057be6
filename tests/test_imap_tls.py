"""The IMAP mailbox over TLS, as every real mail server speaks it: a real Dovecot and SMTP server.

Implicit TLS (993 / 465) and STARTTLS (143 / 587), each verified against a
certificate authority the client trusts the way a team trusts its own
(``SSL_CERT_FILE``). A certificate nobody vouches for is refused, once, with
what to do: it is configuration, not a passing fault to retry.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.imap_env import imap_settings, mail, needs_dovecot, running_dovecot
from triage.dev.certificates import Certificates, local_certificates
from triage.dev.dovecot import PASSWORD, Dovecot
from triage.dev.smtp_relay import SmtpRelay
from triage.mail.errors import MailRejected
from triage.mail.imap.provider import ImapProvider
from triage.mail.imap.session import Endpoint
from triage.mail.imap.smtp import submit

pytestmark = needs_dovecot


@pytest.fixture(scope="module")
def certificates() -> Iterator[Certificates]:
    with tempfile.TemporaryDirectory(prefix="tls-") as folder:
        yield local_certificates(Path(folder))


@pytest.fixture(scope="module")
def dovecot(certificates: Certificates) -> Iterator[Dovecot]:
    with running_dovecot(certificates) as server:
        yield server


@pytest.fixture(scope="module")
def relays(dovecot: Dovecot, certificates: Certificates) -> Iterator[dict[str, SmtpRelay]]:
    started = {
        security: SmtpRelay(dovecot, security=security, certificates=certificates)
        for security in ("tls", "starttls")
    }
    for relay in started.values():
        relay.start()
    yield started
    for relay in started.values():
        relay.stop()


def provider_for(dovecot: Dovecot, relay: SmtpRelay, mailbox: str, security: str) -> ImapProvider:
    port = dovecot.imaps_port if security == "tls" else dovecot.imap_port
    settings = imap_settings(
        dovecot, relay, mailbox, imap_security=security, imap_port=port, smtp_security=security
    )
    return ImapProvider.from_settings(settings)


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_read_and_answer_over_tls(dovecot, relays, certificates, security, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates.authority))
    mailbox = dovecot.fresh_mailbox()
    dovecot.deliver(mail(subject="Over TLS", message_id=f"tls-{security}@client.example.test"), mailbox)
    relay = relays[security]
    async with provider_for(dovecot, relay, mailbox, security) as provider:
        [message] = [
            m
            for page in [p async for p in provider.inbound_pages("support", page_size=10, max_pages=1)]
            for m in page
        ]
        assert message.subject == "Over TLS"
        draft = await provider.create_draft(
            "support",
            to=["customer@example.test"],
            subject="Re: Over TLS",
            plain_body="Answered over an encrypted connection.",
            reply_to_message_id=message.message_id,
        )
        before = len(relay.accepted)
        await provider.send_draft("support", draft.id)
    assert len(relay.accepted) == before + 1
    assert f"In-Reply-To: <tls-{security}@client.example.test>".encode() in relay.accepted[-1].data


async def test_a_certificate_nobody_vouches_for_is_refused_with_what_to_do(
    dovecot, relays, monkeypatch, tmp_path
):
    # Another authority: the client's trust store does not hold the one that signed the server's.
    stranger = local_certificates(tmp_path / "other", authority_name="someone else's CA")
    monkeypatch.setenv("SSL_CERT_FILE", str(stranger.authority))
    mailbox = dovecot.fresh_mailbox()
    dovecot.deliver(mail(subject="Untrusted"), mailbox)
    provider = provider_for(dovecot, relays["tls"], mailbox, "tls")
    with pytest.raises(MailRejected) as caught:
        async with provider:
            [p async for p in provider.inbound_pages("support", page_size=10, max_pages=1)]
    assert not caught.value.retryable
    text = str(caught.value)
    assert text.startswith(f"IMAP 127.0.0.1:{dovecot.imaps_port}: its certificate is not trusted")
    assert "SSL_CERT_FILE" in text and "\n" not in text
    # The same for the SMTP server (STARTTLS here).
    smtp = Endpoint(
        host="127.0.0.1",
        port=relays["starttls"].port,
        security="starttls",
        user=mailbox,
        secret=PASSWORD,
        token_command=None,
        timeout=5,
    )
    reply = EmailMessage()
    reply["Subject"] = "Re: Untrusted"
    reply.set_content("never sent")
    accepted = len(relays["starttls"].accepted)
    with pytest.raises(MailRejected, match=r"^SMTP 127\.0\.0\.1:\d+: its certificate is not trusted"):
        submit(smtp, reply, sender=dovecot.address(mailbox), recipients=["customer@example.test"])
    assert len(relays["starttls"].accepted) == accepted
