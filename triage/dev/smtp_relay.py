"""A real SMTP submission server for tests: aiosmtpd, handing each mail to Dovecot over LMTP.

AUTH is judged by Dovecot's auth service (``triage.dev.dovecot_sasl``), as
Postfix does it: PLAIN and LOGIN with Dovecot's passwords, and XOAUTH2 /
OAUTHBEARER with tokens Dovecot checks at the OpenID provider when it has
one (over plain TCP on loopback only). ``on_data`` lets a test act at the moment the server holds
a whole message, before and after it is delivered: that is where the kill
-9 tests stop a sending worker.
"""

from __future__ import annotations

import binascii
import logging
import smtplib
import ssl
import time
import warnings
from base64 import b64decode
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triage.dev.certificates import Certificates
from triage.dev.dovecot import Dovecot
from triage.runtime.asgi_server import free_port

if TYPE_CHECKING:  # aiosmtpd is a test dependency: imported when a relay starts
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

# AUTH over plain TCP is what this loopback-only relay does on purpose: not worth a warning each run.
warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
warnings.filterwarnings("ignore", "Session.login_data is deprecated", DeprecationWarning)
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class Accepted:
    sender: str
    recipients: list[str]
    data: bytes
    at: float  # time.monotonic() when the server answered 250


@dataclass
class SmtpRelay:
    dovecot: Dovecot
    port: int = field(default_factory=free_port)
    accepted: list[Accepted] = field(default_factory=list)
    # What clients answered to AUTH challenges (after an initial response, a refusal's reason is one).
    auth_answers: list[bytes] = field(default_factory=list)
    deliver: bool = True  # False: accept and record only (recipients with no mailbox here)
    # Called with the envelope before delivery ("before") and after it ("after").
    on_data: Callable[[str, object], None] | None = None
    # "starttls" (587's way) or "tls" (465's) with these certificates; "none" without.
    security: str = "none"
    certificates: Certificates | None = None
    _controller: Controller | None = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        relay = self

        class Handler:
            def __init__(self) -> None:
                for mechanism in relay.dovecot.mechanisms:  # aiosmtpd offers each auth_<NAME> it finds
                    setattr(self, f"auth_{mechanism}", relay._checked_by_dovecot(mechanism))

            async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
                # DATA comes after MAIL FROM (aiosmtpd refuses it otherwise), with the content read
                assert envelope.mail_from is not None and envelope.original_content is not None
                if relay.on_data:
                    relay.on_data("before", envelope)
                try:
                    if relay.deliver:
                        with smtplib.LMTP("127.0.0.1", relay.dovecot.lmtp_port) as lmtp:
                            lmtp.sendmail(envelope.mail_from, envelope.rcpt_tos, envelope.original_content)
                except (OSError, smtplib.SMTPException) as err:
                    return f"451 mailbox unavailable: {type(err).__name__}"
                relay.accepted.append(
                    Accepted(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        envelope.original_content,
                        time.monotonic(),
                    )
                )
                if relay.on_data:
                    relay.on_data("after", envelope)
                return "250 OK delivered"

        # AUTH without TLS warns (pyproject filters it): loopback only, on purpose.
        tls: dict[str, Any] = {}
        if self.security != "none":
            assert self.certificates is not None, "TLS needs certificates (triage.dev.certificates)"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificates.certificate, self.certificates.key)
            if self.security == "tls":
                tls = {"ssl_context": context}
            else:
                tls = {"tls_context": context, "require_starttls": True}
        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=_refuse,  # never asked: every mechanism is one of the handler's
            # STARTTLS: no AUTH before it. Implicit TLS is encrypted from the start (aiosmtpd's
            # check only knows STARTTLS, and would refuse AUTH there).
            auth_require_tls=self.security == "starttls",
            auth_required=True,
            **tls,
        )
        self._controller.start()

    def _checked_by_dovecot(self, mechanism: str) -> Callable[[SMTP, list[str]], Awaitable[AuthResult]]:
        from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

        from triage.dev.dovecot_sasl import authenticate

        socket = self.dovecot.auth_socket

        async def check(server: SMTP, args: list[str]) -> AuthResult:
            initial = None
            if len(args) > 1:  # an initial response: "=" is an empty one (RFC 4954)
                try:
                    initial = b"" if args[1] == "=" else b64decode(args[1], validate=True)
                except binascii.Error:
                    return AuthResult(success=False, handled=False, message="501 5.5.2 Can't decode base64")

            async def challenge(data: bytes) -> bytes | None:
                answer = await server.challenge_auth(data)
                if answer is MISSING:
                    return None
                self.auth_answers.append(answer)
                return answer

            user = await authenticate(socket, mechanism, initial, challenge)
            if user is None:
                return AuthResult(success=False, handled=False)
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))

        return check

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _refuse(*_: object) -> bool:
    return False
