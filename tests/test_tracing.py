"""One message, one trace: start, workflow, activities and the reviewer's decision."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from starter.review import decide_current
from tests.conftest import running_worker
from tests.helpers import start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import ReviewAction, TriageStatus

SECRET = "my dog is called Pickles"


async def test_span_tree_of_one_reviewed_message(dev_env, settings, control):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = Client(
        dev_env.client.service_client,
        namespace="default",
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor(tracer=provider.get_tracer("test"))],
    )
    async with running_worker(client, settings):
        handle = await start_for(
            client, settings, control, subject=subject("billing", 0.9), plain_body=SECRET
        )
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        await decide_current(client, handle.id, ReviewAction.APPROVE, "alice")
        await handle.result()
    spans = exporter.get_finished_spans()
    names = [s.name for s in spans]
    start = next(s for s in spans if s.name == "StartWorkflow:SupportTriageWorkflow")
    same_trace = [s for s in spans if s.context.trace_id == start.context.trace_id]
    for expected in (
        "RunWorkflow:SupportTriageWorkflow",
        "RunActivity:judge",  # classify and draft
        "RunActivity:save_for_review",  # the draft saved and the reviewers notified
        "RunActivity:send_draft",
    ):
        assert expected in [s.name for s in same_trace], (expected, names)
    assert any(n.startswith("StartWorkflowUpdate:review") for n in names), names
    classify = next(s for s in same_trace if s.name == "RunActivity:judge")
    assert classify.attributes["triage.category"] == "billing"
    assert classify.attributes["triage.tokens"] == 15
    assert all(SECRET not in str(dict(s.attributes or {})) for s in spans)
