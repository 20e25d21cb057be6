"""``triage`` run in this process, as its console script runs it: the same app, arguments and
environment, its exit code, stdout and stderr.

A CLI process costs about a second of CPU to start and import before the command does
anything, and the live CLI tests ran ~80 of them. Where the test is about what a command
prints and the code it exits with, this process gives the same answer. What only a real
process shows (the console script, the interpreter's exit: the ``PyGILState_Release`` abort
came at exit) stays with subprocesses: ``Stack.triage`` and the tests that use it.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from starter.cli.app import app
from triage.runtime.config import get_settings

# One command at a time: the environment, the working directory and sys.stdout/stderr are the
# process's. Whatever else runs meanwhile (a server on the caller's loop) sees them too: give a
# command the environment the test already runs in, plus what the command itself needs.
_one_at_a_time = threading.Lock()


def run_triage(
    args: tuple[str, ...] | list[str], env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """``triage ARGS`` with exactly ``env`` as its environment, in ``cwd`` (as ``subprocess.run``)."""
    with _one_at_a_time, ThreadPoolExecutor(1) as thread:
        # On a thread of its own: the command's asyncio.run() must not meet (or end) a loop of the caller's.
        return thread.submit(_run, list(args), dict(env), cwd).result()


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    saved, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)  # relative defaults (.data/models) as the process would resolve them
    get_settings.cache_clear()  # the settings are read once a process: this "process" has new ones
    try:
        with redirect_stdout(out), redirect_stderr(err):
            app(args, prog_name="triage")
        raise AssertionError(f"triage {args} returned instead of exiting")
    except SystemExit as exited:
        code = exited.code
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
    assert isinstance(code, int), code  # the app always exits with its exit code, never a message
    return subprocess.CompletedProcess(["triage", *args], code, out.getvalue(), err.getvalue())
