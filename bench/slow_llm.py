"""Slow LLM: the OpenAI provider against a local OpenAI-compatible server that
answers after a fixed delay (default 1 s).

Project: N routine emails through the full pipeline (emulator -> watcher ->
worker with the real ``openai`` SDK -> reply sent). Each message costs two
LLM calls (classify, draft), so any throughput above a serial loop comes from
concurrency: ``TRIAGE_LLM_CONCURRENCY`` calls in flight per worker, within the
worker's activity slots (``TRIAGE_MAX_CONCURRENT_ACTIVITIES``).
Baselines, same run: a serial loop of the same provider calls (one message
at a time), the ideal serial rate ``1 / delay`` calls per second, the ceiling
``llm_concurrency / (2 * delay)`` msg/s, and the no-op floor of bench.pipeline.
The fake LLM answers from a process of its own; the project's clock starts once the
judge polls and a warm-up of bench.pipeline's size has gone through.

    python -m bench.slow_llm [--size short|full] [--messages 100] [--delay 1.0] [--llm-concurrency 8]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType

from bench.harness import Comparison, Report, bench_settings, cli, wait_for_pollers
from bench.pipeline import WARM_UP, routine_texts, run_floor, run_project
from bench.processes import dev_server, fake_openai_process, judge_process, mailsim_process
from triage.domain.models import Classification, DraftRequest, InboundMessage
from triage.judging.base import TriageProvider
from triage.judging.factory import build_provider

NAME = "slow_llm"
SIZES = {
    "short": {"messages": 100, "delay": 1.0, "llm_concurrency": 8, "serial_messages": 3},
    "full": {"messages": 400, "delay": 1.0, "llm_concurrency": 8, "serial_messages": 5},
}
LLM_CALLS_PER_MESSAGE = 2  # classify + draft
# Loading the judge's models (a minute on a loaded machine) is not a message's work.
JUDGE_STARTUP_TIMEOUT = 180.0


async def serial_loop(provider: TriageProvider, n: int, texts: list[str]) -> dict[str, Any]:
    """The same provider calls one message at a time: what no concurrency gives."""
    began = time.perf_counter()
    for i in range(n):
        message = InboundMessage(
            message_id=f"serial-{i}",
            inbox_id="support",
            from_address="customer@example.org",
            subject="Question",
            plain_body=texts[i % len(texts)],
        )
        classification: Classification = await provider.classify(message)
        await provider.draft(DraftRequest(message=message, classification=classification))
    elapsed = time.perf_counter() - began
    return {"throughput": n / elapsed, "elapsed_s": elapsed}


async def run(messages: int, delay: float, llm_concurrency: int, serial_messages: int) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            dev_server(Path(tmp)) as (server, client),
            mailsim_process(Path(tmp)) as sim,
            fake_openai_process(Path(tmp), delay) as llm,
        ):
            settings = bench_settings(
                sim,
                provider="openai",
                openai_base_url=llm.base_url,
                llm_concurrency=llm_concurrency,
            )
            provider = build_provider(settings)
            try:
                texts = await routine_texts(provider, settings)
                serial = await serial_loop(provider, serial_messages, texts)
                await run_floor(client, WARM_UP)
                floor = await run_floor(client, messages)
                async with judge_process(settings, server.address, Path(tmp)):
                    # The clock starts with the judge polling and warm (as bench.pipeline's):
                    # its start-up is once per process, the ceiling a rate per message.
                    judging = {settings.judge_queue: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}
                    if not await wait_for_pollers(client, judging, timeout=JUDGE_STARTUP_TIMEOUT):
                        raise TimeoutError(f"the judge did not poll in {JUDGE_STARTUP_TIMEOUT:.0f} s")
                    await run_project(client, sim, WARM_UP, settings, texts)
                    calls_before = await llm.request_count()
                    project = await run_project(client, sim, messages, settings, texts)
                    project["llm_calls"] = await llm.request_count() - calls_before
            finally:
                await provider.aclose()
    ideal_serial = 1 / (LLM_CALLS_PER_MESSAGE * delay)
    ceiling = llm_concurrency / (LLM_CALLS_PER_MESSAGE * delay)
    throughput = project["throughput"]
    return Report(
        NAME,
        {
            "messages": messages,
            "delay": delay,
            "llm_concurrency": llm_concurrency,
            "serial_messages": serial_messages,
        },
        [
            Comparison("throughput", "msg/s", throughput, serial["throughput"], "serial loop"),
            Comparison("throughput", "msg/s", throughput, 1 / delay, "1/delay"),
            Comparison("throughput", "msg/s", throughput, ceiling, "concurrency ceiling", ">= 0.90"),
            Comparison("throughput", "msg/s", throughput, floor["throughput"], "floor"),
            Comparison("p50 latency", "s", project["latency_s"]["p50"], floor["latency_s"]["p50"], "floor"),
        ],
        {
            "serial_loop": serial,
            "ideal_serial_throughput": ideal_serial,
            "concurrency_ceiling": ceiling,
            "floor": floor,
            "project": project,
        },
    )


if __name__ == "__main__":
    cli(NAME, run, SIZES, __doc__)
