"""The worker: runs SupportTriageWorkflow and its activities on one task queue."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx
from temporalio.client import Client
from temporalio.worker import Worker

from activities.llm import LlmActivities
from activities.mail import MailActivities
from activities.notify import NotifyActivities
from triage.config import Settings
from triage.llm.base import TriageProvider
from triage.llm.factory import build_provider
from triage.mail.client import MailClient
from triage.temporal_client import connect
from workflows.triage import SupportTriageWorkflow

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (SupportTriageWorkflow,)


def activity_functions(
    mail: MailActivities, llm: LlmActivities, notify: NotifyActivities
) -> list:
    return [
        llm.classify,
        llm.draft_reply,
        mail.save_draft,
        mail.send_draft,
        mail.discard_draft,
        notify.notify_reviewer,
    ]


def build_worker(
    client: Client,
    settings: Settings,
    *,
    mail: MailClient,
    provider: TriageProvider,
    http: httpx.AsyncClient,
) -> Worker:
    webhook = settings.slack_webhook_url.get_secret_value() if settings.slack_webhook_url else None
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activity_functions(
            MailActivities(mail),
            LlmActivities(provider, settings.llm_concurrency),
            NotifyActivities(http, webhook, settings.public_url),
        ),
        max_concurrent_activities=settings.max_concurrent_activities,
        # In-flight activities get this long to finish on SIGTERM before
        # they are cancelled and retried on another worker.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    async with AsyncExitStack() as stack:
        client = await connect(settings, serve_metrics=True)
        mail = await stack.enter_async_context(
            MailClient(
                settings.mail_base_url,
                settings.mail_api_key.get_secret_value(),
                timeout=settings.mail_timeout_seconds,
            )
        )
        http = await stack.enter_async_context(httpx.AsyncClient())
        provider = build_provider(settings)
        stack.push_async_callback(provider.aclose)
        worker = build_worker(client, settings, mail=mail, provider=provider, http=http)
        log.info(
            "worker on %s / %s, task queue %s, provider %s",
            settings.temporal_address,
            settings.temporal_namespace,
            settings.temporal_task_queue,
            provider.name,
        )
        async with worker:
            await (stop or asyncio.Event()).wait()
