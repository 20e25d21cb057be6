"""The child processes of a chaos run (dev server, worker, watcher) and their configuration.

The worker and the watcher run as processes of their own so that the fault
script can kill them (and the dev server) for real; a watchdog notes any that
dies without being killed on purpose.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from bench.chaos.plan import AUTO_REPLY_LIMIT, ChaosPlan
from bench.processes import DevServer, kill_process, spawn_python, stop_process
from triage.dev.fake_openai import FakeOpenAI
from triage.mail.sim.runner import RunningMailSim


class ChildProcesses:
    """The dev server, the workers (workflow and judge) and the watcher: the only processes this run signals."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.temporal = DevServer(workdir)  # on the run's database file: a restart finds every workflow
        self.env: dict[str, str] = {}
        self.worker: subprocess.Popen | None = None
        self.judge: subprocess.Popen | None = None
        self.watcher: subprocess.Popen | None = None
        self.unexpected_exits: list[str] = []
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return self.temporal.address

    async def restart_temporal(self, pause: float) -> None:
        await self.temporal.kill()
        await asyncio.sleep(pause)
        await self.temporal.serve()

    def _start(self, command: str) -> subprocess.Popen:
        return spawn_python(["starter.cli", command], env=self.env, log=self.workdir / f"{command}.log")

    def start_worker(self) -> None:
        """The workflow worker and its judge (classify and draft): a worker fault takes both."""
        self.start_workflow_worker()
        self.start_judge()

    def start_workflow_worker(self) -> None:
        self.worker = self._start("worker")

    def start_judge(self) -> None:
        self.judge = self._start("judge")

    async def kill_worker(self) -> None:
        # Forgotten first, so that the watchdog does not take the kill for a crash.
        worker, self.worker = self.worker, None
        judge, self.judge = self.judge, None
        assert worker is not None and judge is not None
        await asyncio.gather(kill_process(worker), kill_process(judge))

    def start_watcher(self) -> None:
        self.watcher = self._start("watch")

    def start_watchdog(self) -> None:
        self._watchdog = asyncio.create_task(self._revive_crashed())

    async def _revive_crashed(self) -> None:
        """A worker or watcher that died on its own is noted and started again."""
        while True:
            for name, process, start in (
                ("worker", self.worker, self.start_workflow_worker),
                ("judge", self.judge, self.start_judge),
                ("watcher", self.watcher, self.start_watcher),
            ):
                if process is not None and process.poll() is not None:
                    self.unexpected_exits.append(f"{name} exited with {process.returncode}")
                    start()
            await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        await asyncio.gather(
            *(
                stop_process(process, 15.0)
                for process in (self.watcher, self.worker, self.judge, self.temporal.process)
            )
        )


def child_env(temporal_address: str, sim: RunningMailSim, llm: FakeOpenAI, plan: ChaosPlan) -> dict[str, str]:
    """Configuration of the worker and the watcher (over the environment): this run's servers, the OpenAI provider."""
    return {
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_NAMESPACE": "default",
        "MYAGENTMAIL_BASE_URL": sim.base_url,
        "MYAGENTMAIL_WS_URL": sim.ws_url,
        "MYAGENTMAIL_API_KEY": sim.api_key,
        "SUPPORT_INBOX_ID": sim.inbox_id,
        "TRIAGE_PROVIDER": "openai",
        "OPENAI_API_KEY": llm.api_key or "unused",
        "OPENAI_BASE_URL": llm.base_url,
        "TRIAGE_LLM_TIMEOUT": str(plan.llm_timeout),
        "TRIAGE_WATCH_IDLE_TIMEOUT": str(plan.idle_timeout),
        "TRIAGE_AUTO_REPLY_LIMIT": str(AUTO_REPLY_LIMIT),
        # The inbox-wide budget would hold a long run's routine mail: the run measures the
        # per-sender limit (its plus flood included), not the inbox's hourly ceiling.
        "TRIAGE_AUTO_REPLY_INBOX_LIMIT": str(max(plan.messages, 200)),
        "TRIAGE_AUTO_REPLY_WINDOW": "PT24H",
    }
