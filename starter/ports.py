"""The ports ``triage up`` binds: which they are, whether one is taken, and which process holds it."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
from pathlib import Path

from triage.runtime.config import Settings


def loopback(host: str) -> str:
    return "127.0.0.1" if host in ("", "localhost") else host


def stack_ports(settings: Settings, mail_port: int, *, with_api: bool) -> list[tuple[str, str, int, str]]:
    """(what, host, port, how to move it) for every port ``triage up`` binds."""
    host, _, port = settings.temporal_address.rpartition(":")
    ports = [
        ("Temporal gRPC", loopback(host), int(port), "TEMPORAL_ADDRESS"),
        ("Temporal Web UI", "127.0.0.1", settings.temporal_ui_port, "TRIAGE_TEMPORAL_UI_PORT"),
        ("mail emulator", "127.0.0.1", mail_port, "--mail-port"),
    ]
    if with_api:
        ports.append(("reviewer API", loopback(settings.api_host), settings.api_port, "TRIAGE_API_PORT"))
    if settings.metrics_port:
        ports.append(
            ("worker metrics", loopback(settings.metrics_host), settings.metrics_port, "TRIAGE_METRICS_PORT")
        )
    return ports


def port_taken(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as err:
            return err.errno == errno.EADDRINUSE
    return False


def port_holder(port: int) -> str | None:
    """``pid N (command)`` of the process listening on ``port``, when this user may know it."""
    pid = _listener_pid_proc(port) or _listener_pid_lsof(port)
    if pid is None:
        return None
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        command = " ".join([Path(argv[0].decode()).name, *(a.decode() for a in argv[1:] if a)])
    except OSError:
        command = ""
    if len(command) > 60:
        command = command[:59] + "…"
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def _listener_pid_proc(port: int) -> int | None:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


def _listener_pid_lsof(port: int) -> int | None:
    try:
        found = subprocess.run(
            ["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN", "-Fp"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    pids = [int(line[1:]) for line in found.splitlines() if line.startswith("p") and line[1:].isdigit()]
    return pids[0] if pids else None


def port_problem(ports: list[tuple[str, str, int, str]]) -> str | None:
    """One line naming the first taken port and who holds it; None when every port is free."""
    taken = [(what, host, port, hint) for what, host, port, hint in ports if port_taken(host, port)]
    if not taken:
        return None
    what, _, port, hint = taken[0]
    others = [str(p) for _, _, p, _ in taken[1:]]
    also = f"; {', '.join(others)} {'is' if len(others) == 1 else 'are'} taken too" if others else ""
    return (
        f"port {port} ({what}) is in use by {port_holder(port) or 'another process'}{also}: "
        f"is support-triage already running? Stop it, or move this one with {hint}"
    )
