"""Bounded requests (issue 12, item 2): no unauthenticated client can make the
reviewer API buffer a large body or header.

The API runs as ``triage api`` does (``run_api``: uvicorn with the bounded
HTTP options) in a subprocess, so its resident memory can be read from
``/proc`` while 100 MB bodies are pushed at it over real sockets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from starter.api.app import MAX_BODY_BYTES
from triage.runtime.asgi_server import MAX_HEADER_BYTES, free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "alice-" + "t" * 40
MB = 1024 * 1024
HUNDRED_MB = 100 * MB
CHUNK = 256 * 1024
# What the server may keep after 100 MB (and six of them at once); it used to grow by 180 MB each.
ALLOWED_GROWTH = 25 * MB

SERVER = (
    "import asyncio, sys\n"
    "from starter.api.server import run_api\n"
    "from triage.runtime.config import Settings\n"
    "asyncio.run(run_api(Settings(), '127.0.0.1', int(sys.argv[1])))\n"
)


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def rss(pid: int) -> int:
    return _kib(pid, "VmRSS")


def peak(pid: int) -> int:
    return _kib(pid, "VmHWM")


@pytest.fixture(scope="module")
def api_process() -> Iterator[tuple[subprocess.Popen, int]]:
    port = free_port()
    env = {
        **os.environ,
        "TRIAGE_REVIEWERS": f"alice:{TOKEN}",
        "TEMPORAL_ADDRESS": "127.0.0.1:1",  # never reached: nothing here gets past auth
        "TRIAGE_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(
                    process.stderr.read().decode() if process.stderr else "no start"
                ) from None
            time.sleep(0.1)
    try:
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def exchange(port: int, head: bytes, body: Iterator[bytes] = iter(())) -> tuple[bytes, int]:
    """Send ``head`` then ``body`` (in a thread) while reading the answer; (answer, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sent = 0

    def push() -> None:
        nonlocal sent
        try:
            sock.sendall(head)
            for chunk in body:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server closed the connection: exactly what it should do
            pass

    pusher = threading.Thread(target=push, daemon=True)
    pusher.start()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    pusher.join(30)
    sock.close()
    return answer, sent


def body_of(size: int) -> Iterator[bytes]:
    block = b"x" * CHUNK
    for _ in range(size // CHUNK):
        yield block


def chunked(size: int) -> Iterator[bytes]:
    for block in body_of(size):
        yield b"%x\r\n%s\r\n" % (len(block), block)
    yield b"0\r\n\r\n"


def request_head(path: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}\r\n".encode()
    )


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_a_hundred_megabytes_without_a_token_leave_memory_flat(api_process):
    process, port = api_process
    approve = "/api/reviews/triage-x/approve"
    # Warm up: the first requests allocate what every request needs.
    for _ in range(3):
        answer, _ = exchange(port, request_head(approve, "Content-Length: 2\r\n"), iter([b"{}"]))
        assert status_of(answer) == 401
    before = rss(process.pid)
    peak_before = peak(process.pid)

    # A declared 100 MB body: refused before a byte of it is read.
    answer, _ = exchange(
        port, request_head(approve, f"Content-Length: {HUNDRED_MB}\r\n"), body_of(HUNDRED_MB)
    )
    assert status_of(answer) == 413, answer[:200]

    # No length (chunked): cut off once the limit is passed, while it streams.
    answer, sent = exchange(
        port, request_head(approve, "Transfer-Encoding: chunked\r\n"), chunked(HUNDRED_MB)
    )
    assert status_of(answer) == 413, answer[:200]
    assert sent < HUNDRED_MB  # the server stopped reading

    # The dashboard's login form too (it parses forms before it checks anything): one
    # field stops at Starlette's 1 MB part limit (400), many small ones at ours (413).
    login = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    answer, _ = exchange(port, login + f"Content-Length: {HUNDRED_MB}\r\n\r\n".encode(), body_of(HUNDRED_MB))
    assert status_of(answer) == 413, answer[:200]
    answer, _ = exchange(port, login + b"Transfer-Encoding: chunked\r\n\r\n", chunked(HUNDRED_MB))
    assert status_of(answer) in (400, 413), answer[:200]

    # Six at once (the 939 MB).
    results: list[bytes] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                exchange(port, request_head(approve, "Transfer-Encoding: chunked\r\n"), chunked(HUNDRED_MB))[
                    0
                ]
            )
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status_of(a) for a in results] == [413] * 6

    after = rss(process.pid)
    growth = max(after, peak(process.pid)) - max(before, peak_before)
    print(f"API RSS before {before / MB:.1f} MB, after {after / MB:.1f} MB, peak growth {growth / MB:.1f} MB")
    assert after - before < ALLOWED_GROWTH, (before, after)
    assert growth < ALLOWED_GROWTH, growth


def test_bodies_under_the_limit_still_reach_auth(api_process):
    _, port = api_process
    body = b'{"revision": 1' + b" " * (MAX_BODY_BYTES - 1024) + b"}"
    answer, _ = exchange(
        port, request_head("/api/reviews/x/approve", f"Content-Length: {len(body)}\r\n"), iter([body])
    )
    assert status_of(answer) == 401  # read (bounded), then refused for the missing token


def test_a_ten_megabyte_header_is_refused(api_process):
    process, port = api_process
    before = rss(process.pid)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    answer, _ = exchange(port, head, iter([b"a" * MB] * 10))
    assert status_of(answer) in (400, 431), answer[:200]
    # Just under the limit is fine (a big cookie is no attack).
    small = f"GET /login HTTP/1.1\r\nHost: x\r\nX-Pad: {'a' * (MAX_HEADER_BYTES // 2)}\r\nConnection: close\r\n\r\n"
    answer, _ = exchange(port, small.encode())
    assert status_of(answer) == 200
    assert rss(process.pid) - before < ALLOWED_GROWTH
