"""The fault script: kills, restarts, emulator faults and scripted LLM failures, counted by kind."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from bench.chaos.children import ChildProcesses
from bench.chaos.plan import ChaosPlan, FaultStep, sleep_until
from triage.dev.fake_openai import FakeOpenAI, FakeReply


class FaultScript:
    """Runs the schedule one step at a time and counts what it injected, by kind.

    LLM faults count the scripted answers that requests actually received.
    """

    def __init__(
        self, processes: ChildProcesses, control: httpx.AsyncClient, llm: FakeOpenAI, plan: ChaosPlan
    ):
        self._processes, self._control, self._llm, self._plan = processes, control, llm, plan
        self.injected: Counter[str] = Counter()
        self._scripted_kinds: list[str] = []  # one per scripted LLM answer, in queue order

    async def run(self, schedule: list[FaultStep], started: float) -> None:
        llm_answers = self._llm_answers()
        for step in schedule:
            await sleep_until(started + step.at)
            if step.kind in llm_answers:
                self._script_llm(step.kind, llm_answers[step.kind])
            else:
                await self._actions()[step.kind]()
                self.injected[step.kind] += 1

    def _actions(self) -> dict[str, Callable[[], Awaitable[None]]]:
        plan = self._plan
        return {
            "worker_kill": self._kill_worker,
            "server_restart": lambda: self._processes.restart_temporal(plan.outage_seconds),
            "socket_drop": lambda: self._faults(drop_sockets=True),
            # Long enough for the watcher to give up on the silent socket.
            "half_open": lambda: self._window(
                {"half_open": True}, {"half_open": False}, 2 * plan.idle_timeout
            ),
            "duplicate_events": lambda: self._window(
                {"duplicate_probability": 0.5}, {"duplicate_probability": 0.0}
            ),
            "rest_500": lambda: self._window(
                {"rest_failure_rate": 0.25, "rest_failure_status": 500}, {"rest_failure_rate": 0.0}
            ),
            "rest_429": lambda: self._window(
                {"rest_failure_rate": 0.25, "rest_failure_status": 429, "retry_after": 1},
                {"rest_failure_rate": 0.0},
            ),
        }

    def _llm_answers(self) -> dict[str, Callable[[int], FakeReply]]:
        """The i-th scripted answer of a burst, by fault kind."""
        return {
            "llm_timeout": lambda _: FakeReply.slow(self._plan.llm_timeout + 2),
            "llm_invalid_output": lambda _: FakeReply.text('{"category": "faq", '),
            "llm_http_error": lambda i: (
                FakeReply.rate_limited(retry_after=1) if i % 2 else FakeReply.server_error()
            ),
        }

    async def _kill_worker(self) -> None:
        await self._processes.kill_worker()
        await asyncio.sleep(self._plan.outage_seconds)
        self._processes.start_worker()

    async def _faults(self, **patch: object) -> None:
        (await self._control.post("/_sim/faults", json=patch)).raise_for_status()

    async def _window(self, on: dict, off: dict, seconds: float | None = None) -> None:
        await self._faults(**on)
        await asyncio.sleep(seconds or self._plan.window_seconds)
        await self._faults(**off)

    def _script_llm(self, kind: str, answer: Callable[[int], FakeReply]) -> None:
        # The next requests, whichever message they are for, get these answers.
        self._llm.enqueue(*(answer(i) for i in range(self._plan.llm_burst)))
        self._scripted_kinds += [kind] * self._plan.llm_burst

    async def mail_faults_off(self) -> None:
        """The emulator's faults off (the stream is over). Scripted LLM answers stay queued
        until the run has settled: a burst scripted just after a worker kill waits for the
        judge to come back (seconds on a loaded machine), and the workflows still in flight
        use it; dropped at the end of the stream, it would never have been injected."""
        (await self._control.delete("/_sim/faults")).raise_for_status()

    def llm_faults_off(self) -> int:
        """Once settled: the LLM's script emptied; returns how many scripted answers no request used."""
        unused = len(self._llm.replies)
        self._llm.replies.clear()
        # First in, first out: what is left is the tail of what was scripted.
        self.injected.update(self._scripted_kinds[: len(self._scripted_kinds) - unused])
        return unused
