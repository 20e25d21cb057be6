"""The tests' Dovecot stops when asked, even at once after its start (it leaked a server)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.imap_env import needs_dovecot
from triage.dev.dovecot import Dovecot, _port_open

pytestmark = needs_dovecot


def test_a_stop_right_after_the_start_ends_the_server():
    with tempfile.TemporaryDirectory(prefix="dovecot-") as root:
        server = Dovecot(Path(root))
        server.start()
        pid = int((Path(root) / "run" / "master.pid").read_text().strip())
        server.stop()
        assert not _port_open(server.imap_port)
        # Gone, or exited and not yet reaped by init (its parent: the master daemonises).
        assert _state(pid) in (None, "Z"), f"Dovecot's master {pid} still runs"
        server.stop()  # stopping a stopped server does nothing (no pid 0, no error)


def _state(pid: int) -> str | None:
    """The process's state letter (R, S, Z...), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat[stat.rfind(")") + 2 :].split()[0]
