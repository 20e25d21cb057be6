"""The IMAP faces: configuration checked once with clear errors, ``triage mail check`` on a real Dovecot."""

from __future__ import annotations

import imaplib
import subprocess

import pytest
from pydantic import ValidationError

from starter.cli.app import app
from tests.imap_env import mail, needs_dovecot
from triage.dev.dovecot import PASSWORD
from triage.runtime.config import Settings, get_settings

BASE = {
    "mail_provider": "imap",
    "imap_host": "mail.example.org",
    "imap_user": "help@example.org",
    "imap_password": "pw",
}


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"imap_host": None}, "TRIAGE_IMAP_HOST is not set"),
        ({"imap_user": None}, "TRIAGE_IMAP_USER is not set"),
        ({"imap_password": None}, "exactly one of TRIAGE_IMAP_PASSWORD and TRIAGE_IMAP_TOKEN_COMMAND"),
        ({"imap_token_command": "oauth2l fetch"}, "exactly one of"),
        ({"imap_user": "help"}, "TRIAGE_IMAP_ADDRESS"),
        ({"imap_security": "ssl"}, "imap_security"),
        ({"imap_poll_seconds": 0}, "imap_poll_seconds"),
    ],
)
def test_a_misconfigured_mailbox_is_refused_at_load_with_what_is_wrong(overrides, problem):
    with pytest.raises(ValidationError) as caught:
        Settings(**{**BASE, **overrides})
    assert problem in str(caught.value)
    assert "pw" not in str(caught.value).replace("pwd", "")  # the password is never echoed


@pytest.mark.parametrize(
    ("overrides", "imap", "smtp"),
    [
        ({}, ("mail.example.org", 993, "tls"), ("mail.example.org", 465, "tls")),
        (
            {"imap_security": "starttls"},
            ("mail.example.org", 143, "starttls"),
            ("mail.example.org", 587, "starttls"),
        ),
        (
            {"smtp_host": "smtp.example.org", "smtp_security": "starttls"},
            ("mail.example.org", 993, "tls"),
            ("smtp.example.org", 587, "starttls"),
        ),
        (
            {"imap_password": None, "imap_token_command": "get-token"},
            ("mail.example.org", 993, "tls"),
            ("mail.example.org", 465, "tls"),
        ),
    ],
)
def test_ports_and_security_default_from_one_place(overrides, imap, smtp):
    account = Settings(**{**BASE, **overrides}).imap_account()
    assert (account.host, account.port, account.security) == imap
    assert (account.smtp_host, account.smtp_port, account.smtp_security) == smtp
    assert account.address == "help@example.org"


def run_check(dovecot, monkeypatch, capsys, **env) -> subprocess.CompletedProcess:
    """``triage mail check`` in this process (the app as its entry point runs it), with ``env``."""
    values = {
        "TRIAGE_MAIL_PROVIDER": "imap",
        "TRIAGE_IMAP_HOST": "127.0.0.1",
        "TRIAGE_IMAP_PORT": str(dovecot.imap_port),
        "TRIAGE_IMAP_SECURITY": "none",
        "TRIAGE_IMAP_USER": "other",
        "TRIAGE_IMAP_PASSWORD": PASSWORD,
        "TRIAGE_IMAP_ADDRESS": dovecot.address("other"),
        **env,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            app(["mail", "check"])
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    assert isinstance(exited.value.code, int)  # the CLI exits with its exit code, never a message
    return subprocess.CompletedProcess(["triage", "mail", "check"], exited.value.code, out.out, out.err)


@needs_dovecot
def test_mail_check_reports_and_changes_nothing(dovecot, monkeypatch, capsys):
    dovecot.deliver(mail(subject="Newest one", message_id="check-1@client.example.test"), "other")
    done = run_check(dovecot, monkeypatch, capsys)
    assert done.returncode == 0, done.stderr
    assert "INBOX ok, Drafts ok, Sent ok" in done.stdout
    assert "idle      yes" in done.stdout
    assert "<check-1@client.example.test> 'Newest one'" in done.stdout
    box = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    box.login("other", PASSWORD)
    box.select("INBOX", readonly=True)
    _, flags = box.fetch("1:*", "(FLAGS)")
    assert all(b"\\Seen" not in f for f in flags)  # nothing was marked read
    box.logout()
    without_idle = run_check(
        dovecot, monkeypatch, capsys, TRIAGE_IMAP_IDLE="false", TRIAGE_IMAP_POLL_INTERVAL="15"
    )
    assert "idle      no: polled every 15 s" in without_idle.stdout


@needs_dovecot
@pytest.mark.parametrize(
    ("env", "code", "says"),
    [
        ({"TRIAGE_IMAP_PASSWORD": "wrong"}, 1, "IMAP login refused for other"),
        ({"TRIAGE_IMAP_PORT": "1"}, 3, "is unreachable"),
        ({"TRIAGE_IMAP_HOST": ""}, 2, "TRIAGE_IMAP_HOST is not set"),
        ({"TRIAGE_IMAP_SENT_FOLDER": "Sent Items"}, 1, "folder(s) missing: Sent Items"),
        ({"TRIAGE_IMAP_PASSWORD": "", "TRIAGE_IMAP_TOKEN_COMMAND": "false"}, 1, "the token command failed"),
    ],
)
def test_mail_check_fails_in_one_line_with_its_exit_code(dovecot, monkeypatch, capsys, env, code, says):
    done = run_check(dovecot, monkeypatch, capsys, **env)
    assert done.returncode == code, done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "wrong" not in done.stderr
