"""SMTP submission with the standard library's ``smtplib``, run in a worker thread.

Implicit TLS (465), STARTTLS (587) or, for a server on this machine, none;
AUTH PLAIN/LOGIN with a password, or XOAUTH2 with the token command's token.
A 5xx is permanent (``MailRejected``), a 4xx passes (retryable), and no
answer at all is ``MailUnreachable``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from triage.mail.errors import MailRejected, MailUnreachable
from triage.mail.imap.session import Endpoint, oauth_token, untrusted_certificate, xoauth2_string


def submit(endpoint: Endpoint, message: EmailMessage, *, sender: str, recipients: list[str]) -> None:
    """Hand ``message`` to the submission server; returns once it accepted it (250 after DATA)."""
    try:
        with _connect(endpoint) as smtp:
            _login(smtp, endpoint)
            smtp.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as err:
        raise MailRejected(f"SMTP refused the recipient: {_first_reason(err.recipients)}") from err
    except smtplib.SMTPAuthenticationError as err:
        raise MailRejected(f"SMTP login refused for {endpoint.user}: {err.smtp_code}") from err
    except smtplib.SMTPResponseException as err:
        raise MailRejected(
            f"SMTP {err.smtp_code}: {_decode(err.smtp_error)}",
            retryable=400 <= err.smtp_code < 500,
            status=err.smtp_code,
        ) from err
    except ssl.SSLCertVerificationError as err:
        raise untrusted_certificate(err, "SMTP", endpoint) from err
    except (smtplib.SMTPException, OSError, ssl.SSLError) as err:
        raise MailUnreachable(f"SMTP {endpoint.host}:{endpoint.port}: {type(err).__name__}: {err}") from err


def _connect(endpoint: Endpoint) -> smtplib.SMTP:
    if endpoint.security == "tls":
        return smtplib.SMTP_SSL(
            endpoint.host, endpoint.port, timeout=endpoint.timeout, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=endpoint.timeout)
    if endpoint.security == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _login(smtp: smtplib.SMTP, endpoint: Endpoint) -> None:
    if endpoint.token_command:
        token = oauth_token(endpoint.token_command)
        smtp.ehlo_or_helo_if_needed()
        initial = xoauth2_string(endpoint.user, token).decode()
        # smtplib asks first with no challenge (the initial response: the token). A challenge after
        # it is the server's reason for refusing the token, which an empty answer acknowledges
        # (RFC 7628 3.2.3 and Google's XOAUTH2): the token is not sent a second time.
        smtp.auth("XOAUTH2", lambda challenge=None: initial if challenge is None else "")
    elif endpoint.secret:
        smtp.login(endpoint.user, endpoint.secret)


def _first_reason(recipients: dict[str, tuple[int, bytes]]) -> str:
    for address, (code, reason) in recipients.items():
        return f"{address}: {code} {_decode(reason)}"
    return "no recipient accepted"


def _decode(value: bytes | str) -> str:
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else value)[:200]
