"""Tracing: one trace per message, from the watcher's start through every
activity to the reviewer's decision, via Temporal's OpenTelemetry interceptor.

Exporters follow the standard OpenTelemetry variables: OTLP over HTTP when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, the console with
``TRIAGE_TRACE_CONSOLE=1``, nothing otherwise. Spans never carry email text:
only category, confidence, decision and token counts.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from temporalio.client import Interceptor

_configured = False


def configure_tracing(service_name: str) -> bool:
    """Install a tracer provider for this process; False when tracing is off."""
    global _configured
    if _configured:
        return True
    # The SDK and Temporal's interceptor are imported only when tracing is on: they cost each
    # process (every CLI command among them) 0.15 s of CPU at start-up otherwise.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    exporters: list[SpanExporter] = []
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    if os.environ.get("TRIAGE_TRACE_CONSOLE") == "1":
        exporters.append(ConsoleSpanExporter())
    if not exporters:
        return False
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True
    return True


def tracing_interceptors(service_name: str) -> list[Interceptor]:
    if not configure_tracing(service_name):
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


def annotate(**attributes: str | int | float | bool | None) -> None:
    """Add product attributes to the current span (the activity's, in a worker)."""
    span = trace.get_current_span()
    for key, value in attributes.items():
        if value is not None:
            span.set_attribute(f"triage.{key}", value)
