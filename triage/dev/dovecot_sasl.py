"""SMTP AUTH judged by Dovecot's auth service, as Postfix does with ``smtpd_sasl_type = dovecot``.

The test relay hands each AUTH exchange to Dovecot's ``auth-client`` socket
(Dovecot's authentication protocol, version 1.2) and passes Dovecot's
challenges on to the SMTP client. So a password, or an OAuth token that
Dovecot checks at the OpenID provider, is judged for SMTP by the same server
and the same rules as for IMAP, the way a mail provider's submission server
shares its accounts with its IMAP server.
"""

from __future__ import annotations

import asyncio
import os
from base64 import b64decode, b64encode
from collections.abc import Awaitable, Callable
from pathlib import Path

# The client's answer to a challenge; None when the client gave up ("*").
Challenge = Callable[[bytes], Awaitable[bytes | None]]
REQUEST_ID = "1"  # one AUTH request a connection


class SaslUnavailable(RuntimeError):
    """Dovecot's auth service did not answer as its protocol says."""


async def authenticate(
    socket: Path, mechanism: str, initial: bytes | None, challenge: Challenge
) -> str | None:
    """The user Dovecot authenticated with ``mechanism``, or None when it refused (or the client gave up)."""
    reader, writer = await asyncio.open_unix_connection(str(socket))
    try:
        writer.write(f"VERSION\t1\t2\nCPID\t{os.getpid()}\n".encode())
        await _read_handshake(reader)
        # Dovecot here allows plaintext logins (loopback), so the request needs no "secured" flag.
        request = ["AUTH", REQUEST_ID, mechanism, "service=smtp", "nologin"]
        if initial is not None:
            request.append(f"resp={b64encode(initial).decode()}")
        writer.write(("\t".join(request) + "\n").encode())
        while True:
            kind, *fields = await _read_line(reader)
            if kind == "OK":
                return _user(fields)
            if kind == "FAIL":
                return None
            if kind != "CONT":
                raise SaslUnavailable(f"unexpected answer from Dovecot's auth service: {kind}")
            answer = await challenge(b64decode(fields[1]) if len(fields) > 1 else b"")
            if answer is None:
                return None
            writer.write(f"CONT\t{REQUEST_ID}\t{b64encode(answer).decode()}\n".encode())
    finally:
        writer.close()


async def _read_handshake(reader: asyncio.StreamReader) -> None:
    while (await _read_line(reader))[0] != "DONE":
        pass


async def _read_line(reader: asyncio.StreamReader) -> list[str]:
    line = await reader.readline()
    if not line:
        raise SaslUnavailable("Dovecot's auth service closed the connection")
    return line.decode().rstrip("\n").split("\t")


def _user(fields: list[str]) -> str:
    return next((f.removeprefix("user=") for f in fields if f.startswith("user=")), "")
