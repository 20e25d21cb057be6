"""A real SMTP submission server for tests: aiosmtpd, handing each mail to Dovecot over LMTP.

AUTH PLAIN/LOGIN against the same passwords as Dovecot (over plain TCP on
loopback only). ``on_data`` lets a test act at the moment the server holds
a whole message, before and after it is delivered: that is where the kill
-9 tests stop a sending worker.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from triage.dev.certificates import Certificates
from triage.dev.dovecot import PASSWORD, Dovecot
from triage.runtime.asgi_server import free_port

if TYPE_CHECKING:  # aiosmtpd is a test dependency: imported when a relay starts
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

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
    deliver: bool = True  # False: accept and record only (recipients with no mailbox here)
    # Called with the envelope before delivery ("before") and after it ("after").
    on_data: Callable[[str, object], None] | None = None
    # "starttls" (587's way) or "tls" (465's) with these certificates; "none" without.
    security: str = "none"
    certificates: Certificates | None = None
    _controller: Controller | None = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        relay = self

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
        ) -> AuthResult:
            ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == PASSWORD
            return AuthResult(success=ok)

        class Handler:
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
            authenticator=authenticate,
            # STARTTLS: no AUTH before it. Implicit TLS is encrypted from the start (aiosmtpd's
            # check only knows STARTTLS, and would refuse AUTH there).
            auth_require_tls=self.security == "starttls",
            auth_required=True,
            **tls,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
