"""One IMAP4rev1 connection: the standard library's ``imaplib``, run in a worker thread.

``imaplib`` is blocking, mature and parses every response shape servers
send; the provider calls it through ``asyncio.to_thread``. What it lacks
before Python 3.14 is IDLE (RFC 2177), three lines of protocol done here
over its own socket. Reading is always read-only where it can be: the
inbox is EXAMINEd and bodies are fetched with ``BODY.PEEK``, so no \\Seen
flag is ever set and another client's view of the mailbox is unchanged.

Every failure leaves as a ``MailError``: a refused login or command is
``MailRejected``, anything on the wire (refused, reset, timed out, a server
that went away mid-response) is ``MailUnreachable`` and the connection is
not used again.
"""

from __future__ import annotations

import imaplib
import re
import select
import shlex
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from triage.mail.errors import MailError, MailRejected, MailUnreachable
from triage.runtime.config import ImapAccount

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_DATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_EXISTS = re.compile(rb"^\* \d+ EXISTS")
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?P<sep>[^"]*)"|NIL) (?P<name>.+)$')
TOKEN_COMMAND_TIMEOUT = 30.0


@dataclass(frozen=True)
class Endpoint:
    """Where and how to log in; ``secret`` is a password, or None with ``token_command``."""

    host: str
    port: int
    security: str  # "tls" | "starttls" | "none"
    user: str
    secret: str | None
    token_command: str | None
    timeout: float


def account_endpoints(account: ImapAccount) -> tuple[Endpoint, Endpoint]:
    """The IMAP and the SMTP endpoint of ``account``: one login, each server's own address."""
    secret = account.password.get_secret_value() if account.password else None
    login = (account.user, secret, account.token_command, account.timeout)
    return (
        Endpoint(account.host, account.port, account.security, *login),
        Endpoint(account.smtp_host, account.smtp_port, account.smtp_security, *login),
    )


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int


@dataclass(frozen=True)
class Fetched:
    uid: int
    size: int
    internal_date: datetime | None
    data: bytes  # the header block, or the whole message


def oauth_token(command: str) -> str:
    """Run the configured token command (never a shell) and return the token it prints."""
    try:
        done = subprocess.run(
            shlex.split(command), capture_output=True, text=True, timeout=TOKEN_COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise MailRejected(f"the token command could not run: {type(err).__name__}") from err
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        raise MailRejected(f"the token command failed (exit {done.returncode}, printed no token)")
    return token


def xoauth2_string(user: str, token: str) -> bytes:
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


# RFC 5530 response codes for a refusal that passes: the server is busy, in maintenance or at a limit.
_PASSING = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]")


def _refused(what: str, detail: object) -> MailRejected:
    text = _text(detail)
    return MailRejected(f"{what}: {text}", retryable=any(code in text for code in _PASSING))


def untrusted_certificate(
    err: ssl.SSLCertVerificationError, protocol: str, endpoint: Endpoint
) -> MailRejected:
    """A certificate that does not verify is configuration, as a wrong password is: not retried."""
    return MailRejected(
        f"{protocol} {endpoint.host}:{endpoint.port}: its certificate is not trusted ({err.verify_message}); "
        "if your own authority signed it, point SSL_CERT_FILE at the authority's PEM file"
    )


def _wire(err: BaseException, what: str) -> MailUnreachable:
    return MailUnreachable(f"IMAP {what}: {type(err).__name__}: {err}")


class ImapSession:
    """A logged-in connection. Not thread-safe: one caller at a time (the provider's pool)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.broken = False
        self.selected: tuple[str, bool] | None = None  # (folder, read-only)
        try:
            self._imap = self._connect(endpoint)
        except MailError:
            raise
        except ssl.SSLCertVerificationError as err:
            raise untrusted_certificate(err, "IMAP", endpoint) from err
        except (OSError, imaplib.IMAP4.abort, ssl.SSLError) as err:
            raise _wire(err, f"connect to {endpoint.host}:{endpoint.port}") from err
        try:
            self._login(endpoint)
        except imaplib.IMAP4.error as err:
            self.close()
            raise _refused(f"IMAP login refused for {endpoint.user}", err) from err
        except (OSError, imaplib.IMAP4.abort) as err:
            self.close()
            raise _wire(err, "login") from err

    @staticmethod
    def _connect(endpoint: Endpoint) -> imaplib.IMAP4:
        if endpoint.security == "tls":
            return imaplib.IMAP4_SSL(
                endpoint.host,
                endpoint.port,
                ssl_context=ssl.create_default_context(),
                timeout=endpoint.timeout,
            )
        imap = imaplib.IMAP4(endpoint.host, endpoint.port, timeout=endpoint.timeout)
        if endpoint.security == "starttls":
            imap.starttls(ssl.create_default_context())
        return imap

    def _login(self, endpoint: Endpoint) -> None:
        if endpoint.token_command:
            token = oauth_token(endpoint.token_command)
            sent: list[bool] = []

            def answer(_challenge: bytes) -> bytes:
                # The first answer is the token; after a failure the server sends its reason as a
                # challenge, and an empty answer ends the exchange with a NO.
                if sent:
                    return b""
                sent.append(True)
                return xoauth2_string(endpoint.user, token)

            self._imap.authenticate("XOAUTH2", answer)
        else:
            self._imap.login(endpoint.user, endpoint.secret or "")

    # ---- plumbing -------------------------------------------------------------------

    def call(self, what: str, fn: Callable[[], tuple[str, list[Any]]]) -> list[Any]:
        """Run one imaplib command; its data on OK, else a MailError (the connection marked broken)."""
        if self.broken:
            raise MailUnreachable("IMAP connection already failed")
        try:
            status, data = fn()
        except imaplib.IMAP4.abort as err:
            self.broken = True
            raise _wire(err, what) from err
        except imaplib.IMAP4.error as err:
            raise _refused(f"IMAP {what} refused", err) from err
        except (OSError, ssl.SSLError, EOFError) as err:
            self.broken = True
            raise _wire(err, what) from err
        if status != "OK":
            raise _refused(f"IMAP {what}: {status}", data)
        return data

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(self._imap.capabilities)

    def has_idle(self) -> bool:
        return "IDLE" in self._imap.capabilities

    def close(self) -> None:
        try:
            if not self.broken:
                self._imap.logout()
            else:
                self._imap.shutdown()
        except Exception:  # closing a dead connection: nothing left to save
            pass
        self.broken = True

    def abort(self) -> None:
        """Cut the connection now, from any thread: a call blocked on it (IDLE) ends with an error."""
        self.broken = True
        try:
            self._imap.shutdown()
        except Exception:  # already closed
            pass

    # ---- folders ------------------------------------------------------------------

    def folders(self) -> list[tuple[str, str]]:
        """Every folder as (name, its flags), e.g. ("Sent", "\\\\HasNoChildren \\\\Sent")."""
        found = []
        for line in self.call("LIST", lambda: self._imap.list()):
            if not isinstance(line, bytes):
                continue
            match = _LIST_LINE.match(line)
            if match:
                name = match.group("name").decode("utf-8", "replace").strip()
                if len(name) >= 2 and name[0] == name[-1] == '"':
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                found.append((name, match.group("flags").decode("ascii", "replace")))
        return found

    def open_folder(self, folder: str, *, readonly: bool) -> FolderState:
        """SELECT (or EXAMINE, read-only) ``folder``; its UIDVALIDITY and UIDNEXT."""
        self.call(
            f"{'EXAMINE' if readonly else 'SELECT'} {folder}",
            lambda: self._imap.select(_quote(folder), readonly),
        )
        self.selected = (folder, readonly)
        return self.folder_state()

    def folder_state(self) -> FolderState:
        validity = self._imap.untagged_responses.get("UIDVALIDITY", [b"0"])[-1]
        uidnext = self._imap.untagged_responses.get("UIDNEXT", [b"0"])[-1]
        return FolderState(_number(validity), _number(uidnext))

    def status(self, folder: str) -> FolderState:
        data = self.call(
            f"STATUS {folder}", lambda: self._imap.status(_quote(folder), "(UIDVALIDITY UIDNEXT)")
        )
        line = b" ".join(d for d in data if isinstance(d, bytes))
        validity, uidnext = _UIDVALIDITY.search(line), _UIDNEXT.search(line)
        return FolderState(int(validity.group(1)) if validity else 0, int(uidnext.group(1)) if uidnext else 0)

    # ---- messages in the selected folder -------------------------------------------

    def uids(self, criteria: str = "ALL") -> list[int]:
        data = self.call(f"UID SEARCH {criteria}", lambda: self._imap.uid("SEARCH", criteria))
        return sorted(int(n) for d in data if d for n in d.split())

    def search_header(self, name: str, value: str) -> list[int]:
        data = self.call(
            f"UID SEARCH HEADER {name}", lambda: self._imap.uid("SEARCH", "HEADER", name, _quote(value))
        )
        return sorted(int(n) for d in data if d for n in d.split())

    def fetch(self, uids: list[int], *, whole: bool) -> list[Fetched]:
        """Headers (or whole messages) of ``uids``, never marking them read (BODY.PEEK)."""
        if not uids:
            return []
        part = "BODY.PEEK[]" if whole else "BODY.PEEK[HEADER]"
        data = self.call(
            "UID FETCH",
            lambda: self._imap.uid("FETCH", _uid_set(uids), f"(UID RFC822.SIZE INTERNALDATE {part})"),
        )
        found: list[Fetched] = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta, body = item[0], item[1]
            uid = _FETCH_UID.search(meta)
            if uid is None or int(uid.group(1)) not in uids:
                continue
            size = _FETCH_SIZE.search(meta)
            date = _FETCH_DATE.search(meta)
            found.append(
                Fetched(
                    int(uid.group(1)), int(size.group(1)) if size else len(body), _internal_date(date), body
                )
            )
        return found

    def append(self, folder: str, flags: str, message: bytes) -> None:
        self.call(f"APPEND {folder}", lambda: self._imap.append(_quote(folder), flags, None, message))

    def delete(self, uids: list[int]) -> None:
        """Expunge ``uids`` of the selected (writable) folder: only ever our own drafts."""
        if not uids:
            return
        self.call(
            "UID STORE", lambda: self._imap.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", "(\\Deleted)")
        )
        if "UIDPLUS" in self._imap.capabilities:
            self.call("UID EXPUNGE", lambda: self._imap.uid("EXPUNGE", _uid_set(uids)))
        else:
            self.call("EXPUNGE", lambda: self._imap.expunge())

    def noop(self) -> None:
        self.call("NOOP", lambda: self._imap.noop())

    # ---- IDLE (RFC 2177) -----------------------------------------------------------

    def idle(self, seconds: float) -> bool:
        """Wait in IDLE up to ``seconds`` for the server to announce mail; True when it did.

        Ends IDLE with DONE either way; a server that does not complete it within
        the connection timeout is presumed dead.
        """
        imap = self._imap
        tag = b"IDLE" + imap._new_tag()  # a tag imaplib will never reuse
        announced = False
        try:
            imap.send(tag + b" IDLE\r\n")
            line = imap.readline()
            if not line.startswith(b"+"):
                raise MailRejected(f"IMAP IDLE refused: {_text(line)}")
            deadline = time.monotonic() + seconds
            while not announced:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._readable(remaining):
                    break
                line = imap.readline()
                if not line:
                    raise EOFError("the server closed the connection")
                announced = bool(_EXISTS.match(line))
            imap.send(b"DONE\r\n")
            while True:
                line = imap.readline()
                if not line:
                    raise EOFError("the server closed the connection")
                if line.startswith(tag):
                    break
                announced = announced or bool(_EXISTS.match(line))
        except MailError:
            self.broken = True
            raise
        except (OSError, ssl.SSLError, EOFError, imaplib.IMAP4.abort) as err:
            self.broken = True
            raise _wire(err, "IDLE") from err
        return announced

    def _readable(self, seconds: float) -> bool:
        sock = self._imap.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        readable, _, _ = select.select([sock], [], [], seconds)
        return bool(readable)


def _number(untagged: bytes | tuple[bytes, bytes]) -> int:
    """An untagged numeric response (UIDVALIDITY, UIDNEXT): imaplib keeps it as bytes; empty is 0."""
    if isinstance(untagged, tuple):
        raise TypeError(f"not a number: {untagged!r}")  # as int() would: these responses are never literals
    return int(untagged or 0)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(u) for u in sorted(set(uids)))


def _internal_date(match: re.Match[bytes] | None) -> datetime | None:
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1).decode(), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def _text(value: object) -> str:
    if isinstance(value, BaseException) and value.args:
        value = value.args[0]
    if isinstance(value, str) and value[:2] in ("b'", 'b"'):
        value = value[2:-1]  # imaplib puts the server's bytes in its message as their repr
    if isinstance(value, list | tuple):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()[:300]
