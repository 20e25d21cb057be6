"""XOAUTH2 logins against a real Dovecot that checks each token at a real OpenID provider.

Microsoft 365 takes no passwords over IMAP and Gmail prefers tokens: the
mailbox logs in with whatever ``TRIAGE_IMAP_TOKEN_COMMAND`` prints. Here the
token is a real access token from ``oidc-provider`` (authorization code with
PKCE, as an app's sign-in gets one), and Dovecot's oauth2 passdb asks the
provider's introspection endpoint (RFC 7662) whether it is active and whose
it is, as a mail provider does. A token the provider does not know is refused.
The SMTP server sends mail for a token the same way: it asks Dovecot's auth
service, as Postfix does (``triage.dev.dovecot_sasl``).
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import pytest_asyncio

from tests.imap_env import imap_settings, mail, needs_dovecot, running_dovecot
from tests.oidc import Provider, oidc_provider, tokens_for
from triage.dev.dovecot import Dovecot
from triage.dev.smtp_relay import SmtpRelay
from triage.mail.errors import MailRejected
from triage.mail.imap.provider import ImapProvider
from triage.mail.imap.session import Endpoint
from triage.mail.imap.smtp import submit

pytestmark = [needs_dovecot, pytest.mark.slow]

CLIENT = {
    "client_id": "mail-app",
    "client_secret": "mail-app-secret",
    "redirect_uris": ["http://127.0.0.1/callback"],
}
MAILBOX = "support"  # the provider's account and the IMAP login: Dovecot compares them


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def provider() -> AsyncIterator[Provider]:
    async with oidc_provider([CLIENT], {MAILBOX: {"email": f"{MAILBOX}@example.test"}}) as running:
        yield running


@pytest.fixture(scope="module")
def dovecot(provider: Provider) -> Iterator[Dovecot]:
    host = provider.issuer.removeprefix("http://")
    introspection = f"http://{CLIENT['client_id']}:{CLIENT['client_secret']}@{host}/token/introspection"
    with running_dovecot(oauth2_introspection_url=introspection) as server:
        yield server


def token_command(token_file: Path) -> str:
    """A command that prints the token in ``token_file``, as a mailbox's token command does."""
    return shlex.join([sys.executable, "-c", f"print(open({str(token_file)!r}).read())"])


def token_provider(dovecot: Dovecot, token_file: Path) -> ImapProvider:
    """The mailbox with no password: its token command prints the token in ``token_file``."""
    settings = imap_settings(
        dovecot, SmtpRelay(dovecot), MAILBOX, imap_password=None, imap_token_command=token_command(token_file)
    )
    return ImapProvider.from_settings(settings)


async def inbound_subjects(provider: ImapProvider) -> list[str]:
    pages = [p async for p in provider.inbound_pages("support", page_size=10, max_pages=1)]
    return [m.subject for page in pages for m in page]


async def test_the_mailbox_logs_in_with_a_token_the_provider_vouches_for(provider, dovecot, tmp_path):
    dovecot.deliver(mail(subject="Signed in with a token"), MAILBOX)
    issued = await tokens_for(provider, CLIENT["client_id"], CLIENT["redirect_uris"][0], MAILBOX)
    token_file = tmp_path / "token"
    token_file.write_text(issued.token["access_token"])
    async with token_provider(dovecot, token_file) as mailbox:
        assert "Signed in with a token" in await inbound_subjects(mailbox)
    assert f"Login: user=<{MAILBOX}>, method=XOAUTH2" in dovecot.log()

    token_file.write_text("not-a-token-the-provider-issued")
    with pytest.raises(MailRejected, match=r"^IMAP login refused for support") as refused:
        async with token_provider(dovecot, token_file) as mailbox:
            await inbound_subjects(mailbox)
    assert "not-a-token" not in str(refused.value)  # the token never reaches an error or a log


# relay: tests.imap_env's fixture, started on this module's Dovecot (the one that checks tokens)
async def test_mail_goes_out_over_smtp_with_a_token_the_provider_vouches_for(
    provider, dovecot, relay, tmp_path
):
    issued = await tokens_for(provider, CLIENT["client_id"], CLIENT["redirect_uris"][0], MAILBOX)
    token_file = tmp_path / "token"
    token_file.write_text(issued.token["access_token"])

    def send(user: str, subject: str) -> None:
        endpoint = Endpoint(
            host="127.0.0.1",
            port=relay.port,
            security="none",
            user=user,
            secret=None,
            token_command=token_command(token_file),
            timeout=5,
        )
        reply = EmailMessage()
        reply["From"] = dovecot.address(MAILBOX)
        reply["To"] = dovecot.address(MAILBOX)
        reply["Subject"] = subject
        reply.set_content("Sent with a token.")
        submit(endpoint, reply, sender=dovecot.address(MAILBOX), recipients=[dovecot.address(MAILBOX)])

    await asyncio.to_thread(send, MAILBOX, "Re: sent with a token")
    assert [m.recipients for m in relay.accepted] == [[dovecot.address(MAILBOX)]]

    # A token the provider never issued, and a good token presented for another account.
    for name, user, token in (
        ("unknown token", MAILBOX, "not-a-token-the-provider-issued"),
        ("another account", "other", issued.token["access_token"]),
    ):
        token_file.write_text(token)
        with pytest.raises(MailRejected, match=rf"^SMTP login refused for {user}: 535$") as caught:
            await asyncio.to_thread(send, user, f"Re: {name}")
        assert not caught.value.retryable
        assert token not in str(caught.value)  # the token never reaches an error or a log
    assert len(relay.accepted) == 1, "nothing was sent on a refused login"
    # Each refusal came as a challenge with Dovecot's reason, answered empty: the token went once.
    assert relay.auth_answers == [b"", b""]
