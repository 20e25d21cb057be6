"""A real Dovecot (Debian's ``dovecot-imapd`` + ``dovecot-lmtpd``) for tests and benchmarks.

Generated config in a temporary directory, IMAP and LMTP on free loopback
ports, passwd-file logins, maildirs under the directory; no system config
is read or changed. As root (CI) the mail belongs to the ``dovecot`` user;
as anyone else, Dovecot runs as that user. Mail arrives over LMTP, as a
mail server would deliver it; ``SmtpRelay`` puts a real SMTP server
(aiosmtpd) in front of it, so a reply sent over SMTP lands in the
customer's mailbox.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import smtplib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from triage.dev.certificates import Certificates
from triage.runtime.asgi_server import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
PASSWORD = "secret"
# Offered when the server checks OAuth tokens (oauth2_introspection_url).
TOKEN_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
DOMAIN = "example.test"


def dovecot_installed() -> bool:
    return Path(DOVECOT).exists()


@dataclass
class Dovecot:
    root: Path
    users: tuple[str, ...] = ("support", "customer", "other", *(f"box{i}" for i in range(64)))
    imap_port: int = field(default_factory=free_port)
    lmtp_port: int = field(default_factory=free_port)
    # With certificates: STARTTLS on the IMAP port and implicit TLS on ``imaps_port``, as a real server.
    certificates: Certificates | None = None
    imaps_port: int = 0
    # An OAuth 2.0 introspection endpoint (RFC 7662, with the client's credentials in the URL):
    # XOAUTH2 and OAUTHBEARER logins are then checked there, as Gmail's and Microsoft 365's are.
    oauth2_introspection_url: str | None = None
    _handed_out: set[str] = field(default_factory=set, repr=False)

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def auth_socket(self) -> Path:
        """Dovecot's authentication service, where an SMTP server asks it to check a login."""
        return self.root / "run" / "auth-client"

    @property
    def checks_tokens(self) -> bool:
        return self.oauth2_introspection_url is not None

    def address(self, user: str) -> str:
        return f"{user}@{DOMAIN}"

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def write_config(self) -> None:
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        (self.root / "mail").mkdir(exist_ok=True)
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in self.users))
        if os.geteuid() == 0:
            internal, login, mail_user = "dovecot", "dovenull", "dovecot"
            shutil.chown(self.root / "mail", mail_user, mail_user)
            os.chmod(self.root, 0o755)
        else:
            internal = login = mail_user = getpass.getuser()
        if self.certificates is not None and not self.imaps_port:
            self.imaps_port = free_port()
        self.config.write_text(
            _CONFIG.format(
                root=self.root,
                instance=f"triage-{self.imap_port}",
                internal=internal,
                login=login,
                mail_user=mail_user,
                imap_port=self.imap_port,
                lmtp_port=self.lmtp_port,
                imaps_port=self.imaps_port,
                ssl=_ssl_settings(self.certificates),
                mechanisms=" ".join(m.lower() for m in self.mechanisms),
                oauth2_passdb=self._oauth2_passdb(),
            )
        )

    @property
    def mechanisms(self) -> tuple[str, ...]:
        return ("PLAIN", "LOGIN", *TOKEN_MECHANISMS) if self.checks_tokens else ("PLAIN", "LOGIN")

    def _oauth2_passdb(self) -> str:
        if not self.oauth2_introspection_url:
            return ""
        settings = self.root / "oauth2.conf.ext"
        settings.write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.oauth2_introspection_url}\n"
            "force_introspection = yes\n"
            "username_attribute = sub\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )
        settings.chmod(0o644)
        mechanisms = " ".join(m.lower() for m in TOKEN_MECHANISMS)
        return f"passdb {{\n  driver = oauth2\n  mechanisms = {mechanisms}\n  args = {settings}\n}}"

    def fresh_mailbox(self) -> str:
        """A login no one has used yet on this server (made with the config: Dovecot caches its passwd-file)."""
        used = self._handed_out
        free = [u for u in self.users if u.startswith("box") and u not in used]
        if not free:
            raise RuntimeError(f"all {len(used)} spare mailboxes are used: make the Dovecot with more")
        used.add(free[0])
        return free[0]

    def start(self) -> None:
        if not self.config.exists():
            self.write_config()
        # The master daemonises: it must not inherit a pipe someone waits on.
        with (self.root / "start.log").open("ab") as log:
            subprocess.run(
                [DOVECOT, "-c", str(self.config)],
                check=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        _wait_port(self.imap_port)
        _wait_port(self.lmtp_port)
        if self.imaps_port:
            _wait_port(self.imaps_port)
        self._master_pid()  # written: a stop right after this start finds it

    def _master_pid(self, seconds: float = 10.0) -> int | None:
        """The master's pid once its file holds one; None when no master was started here."""
        pid_file = self.root / "run" / "master.pid"
        deadline = time.monotonic() + seconds
        while True:
            try:
                text = pid_file.read_text().strip()
            except FileNotFoundError:
                text = ""
            if text.isdigit() and int(text) > 0:
                return int(text)
            # Not written yet (a master that is starting), or never (none started: nothing to stop).
            if not _port_open(self.imap_port) or time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def stop(self) -> None:
        # Never a pid of 0 from an empty file: os.kill(0, ...) signals our own process group.
        pid = self._master_pid()
        if pid is None:
            return
        # The master's exit leaves running IMAP sessions alive: end them first, as a host's restart does.
        self.kick()
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        while _port_open(self.imap_port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def kick(self, user: str = "*") -> None:
        """Cut every open IMAP connection of ``user`` (all users by default)."""
        subprocess.run([DOVEADM, "-c", str(self.config), "kick", user], check=False, capture_output=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def reset_uidvalidity(self, user: str = "support") -> None:
        """Stop, delete the user's indexes and UID lists (every folder renumbered), start again."""
        self.stop()
        time.sleep(1.1)  # UIDVALIDITY is a timestamp: the new one must differ
        for path in self.maildir(user).rglob("*"):
            if path.name.startswith("dovecot-uidlist") or path.name.startswith("dovecot.index"):
                path.unlink()
        self.start()

    def deliver(self, raw: bytes, user: str = "support", sender: str = "customer@example.test") -> None:
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [self.address(user)], raw)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs. The master daemonises, so init reaps it: an exited master is a
    zombie until then (seconds, on some hosts), and ``os.kill(pid, 0)`` would still find it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile, or no /proc here: the signal's answer
        return Path(f"/proc/{pid}").exists() or not Path("/proc/self").exists()
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not _port_open(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Dovecot did not listen on {port} within {seconds:.0f}s")
        time.sleep(0.05)


def _ssl_settings(certificates: Certificates | None) -> str:
    if certificates is None:
        return "ssl = no"
    return f"ssl = yes\nssl_cert = <{certificates.certificate}\nssl_key = <{certificates.key}"


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/run/state
instance_name = {instance}
protocols = imap lmtp
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
log_path = {root}/dovecot.log
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%n
mail_uid = {mail_user}
mail_gid = {mail_user}
mail_max_userip_connections = 50
imap_idle_notify_interval = 10 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {root}/passwd
}}
{oauth2_passdb}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={root}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
"""


def main() -> None:
    """``python -m triage.dev.dovecot``: a throw-away Dovecot and SMTP relay, with the settings to use them."""
    import tempfile

    from triage.dev.smtp_relay import SmtpRelay

    with tempfile.TemporaryDirectory(prefix="dovecot-") as root:
        server = Dovecot(Path(root))
        server.start()
        relay = SmtpRelay(server)
        relay.start()
        print(
            f"export TRIAGE_MAIL_PROVIDER=imap TRIAGE_IMAP_HOST=127.0.0.1 TRIAGE_IMAP_PORT={server.imap_port} "
            f"TRIAGE_IMAP_SECURITY=none TRIAGE_IMAP_USER=support TRIAGE_IMAP_PASSWORD={PASSWORD} "
            f"TRIAGE_IMAP_ADDRESS={server.address('support')} TRIAGE_SMTP_PORT={relay.port}\n"
            f"# deliver: LMTP on 127.0.0.1:{server.lmtp_port}; Ctrl-C stops both",
            flush=True,
        )
        try:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        finally:
            relay.stop()
            server.stop()


if __name__ == "__main__":
    main()
