"""The judge worker: the CPU-bound activities on a task queue of their own.

Classifying, finding the answer and drafting offline (the shipped classifier,
the knowledge base's TF-IDF, the sentence encoder) and fitting and measuring
retrained models are CPU work in Python: sharing a process with the workflow
worker, a burst of them starved its workflow tasks (one GIL, one event loop).
Here they run in processes that poll ``Settings.judge_queue`` and hold the
model; the workflows call them by name (``triage.domain.contracts.JudgeActivity``).

It polls before it loads what judging needs: the knowledge base and the
encoder's head are read at the first judgement (``DeferredProvider``), as the
model already was. After a restart of the whole stack the pending reviews'
replays (the workflow worker's, the dev server's) do not share the cores with
a judge loading what no pending review needs.

One judge process uses at most one core (its activities run on the event
loop), so scale it by processes: one per core the judging may take, while the
workflow worker, the dev server and the watcher keep theirs. Its BLAS runs one thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from threadpoolctl import threadpool_limits

from activities.llm import LlmActivities
from activities.retrain import RetrainActivities
from triage.domain.models import Classification, DraftReply, DraftRequest, InboundMessage
from triage.judging.base import TriageProvider
from triage.judging.call_slots import CallSlots
from triage.judging.factory import build_provider, provider_name
from triage.judging.registry import ModelRegistry
from triage.runtime.config import Settings
from triage.runtime.reachable import connect_when_reachable, watching_reachability

log = logging.getLogger(__name__)


class DeferredProvider(TriageProvider):
    """The configured provider, built at its first call (``build_provider``), not at start."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._built: TriageProvider | None = None
        self._slots: CallSlots | None = None
        self.name = provider_name(settings)

    @property
    def provider(self) -> TriageProvider:
        if self._built is None:  # no await before it is set: built once however many calls wait
            self._built = build_provider(self._settings)
            if self._slots is not None:
                self._built.limit_calls(self._slots)
        return self._built

    async def classify(self, message: InboundMessage) -> Classification:
        return await self.provider.classify(message)

    async def draft(self, request: DraftRequest) -> DraftReply:
        return await self.provider.draft(request)

    def limit_calls(self, slots: CallSlots) -> None:
        self._slots = slots
        if self._built is not None:
            self._built.limit_calls(slots)

    async def aclose(self) -> None:
        if self._built is not None:
            await self._built.aclose()


def judge_activities(
    client: Client, settings: Settings, provider: TriageProvider
) -> list[Callable[..., Any]]:
    """Every activity of the judge queue, bound to this process's provider and model registry."""
    llm = LlmActivities(provider, settings.llm_concurrency, settings.brand_name)
    retrain = RetrainActivities(
        client, settings.temporal_task_queue, ModelRegistry(settings.model_dir), settings.policy_settings()
    )
    return [
        llm.classify,
        llm.draft_reply,
        llm.judge,
        retrain.export_corrections,
        retrain.fit_candidate,
        retrain.measure_models,
        retrain.model_in_force,
        retrain.promote_model,
    ]


def build_judge_worker(client: Client, settings: Settings, provider: TriageProvider) -> Worker:
    return Worker(
        client,
        task_queue=settings.judge_queue,
        activities=judge_activities(client, settings, provider),
        max_concurrent_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run_judge(settings: Settings, stop: asyncio.Event | None = None) -> None:
    async with AsyncExitStack() as stack:
        client = await connect_when_reachable(settings)
        provider = DeferredProvider(settings)
        stack.push_async_callback(provider.aclose)
        # One BLAS and OpenMP thread (the libraries are loaded by now): the process takes one
        # core, its activities run side by side, and OpenBLAS's spinning threads on a busy
        # machine made a fit twice and an answer match six times slower than one thread.
        threadpool_limits(limits=1)
        worker = build_judge_worker(client, settings, provider)
        log.info(
            "judge worker on %s / %s, task queue %s, provider %s",
            settings.temporal_address,
            settings.temporal_namespace,
            settings.judge_queue,
            provider.name,
        )
        async with worker, watching_reachability(client, settings.temporal_address):
            await (stop or asyncio.Event()).wait()
