"""One way to connect to Temporal, used by every program of the project."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, Interceptor, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig
from temporalio.runtime import LoggingConfig, PrometheusConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from triage.domain.search_attributes import as_indexed_types
from triage.runtime.config import Settings
from triage.runtime.telemetry import tracing_interceptors

# The SDK's own log level, less its retries: while the server is away each poller logs every
# attempt ("retried N times", a few a second); the workers say it once (triage.runtime.reachable).
QUIET_RETRIES = (
    TelemetryFilter(core_level="WARN", other_level="ERROR").formatted() + ",temporalio_client::retry=ERROR"
)


@lru_cache(maxsize=1)
def metrics_runtime(bind_address: str | None) -> Runtime:
    """The workers' runtime, one per process: the Prometheus endpoint (SDK metrics and the
    product's own) at ``bind_address`` if given, and no line per retry in the log."""
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=QUIET_RETRIES),
            metrics=PrometheusConfig(bind_address=bind_address) if bind_address else None,
        )
    )


def worker_runtime(settings: Settings, *, serve_metrics: bool) -> Runtime:
    """A worker's runtime; the one that ``serve_metrics`` serves ``TRIAGE_METRICS_PORT`` (if set)."""
    served = serve_metrics and settings.metrics_port
    return metrics_runtime(f"{settings.metrics_host}:{settings.metrics_port}" if served else None)


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads, encrypted when ``TRIAGE_ENCRYPTION_KEY`` is set."""
    if settings.encryption_key is None:
        return pydantic_data_converter
    from triage.runtime.codec import EncryptionCodec

    codec = EncryptionCodec.from_spec(settings.encryption_key.get_secret_value())
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec)


def connect_options(settings: Settings) -> ClientConnectConfig:
    """Where and how to reach Temporal, as ``Client.connect`` keyword arguments.

    The base is Temporal's standard environment configuration, the one the
    ``temporal`` CLI and every SDK read: ``TEMPORAL_ADDRESS``,
    ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*`` (client
    certificate and key for mTLS, server CA, server name),
    ``TEMPORAL_GRPC_META_*``, or a ``TEMPORAL_PROFILE`` from
    ``TEMPORAL_CONFIG_FILE`` (default ``~/.config/temporalio/temporal.toml``).
    The project's own settings win where they were set (environment,
    ``TRIAGE_CONFIG`` file or code); their defaults fill only what is missing.
    """
    options = ClientConfigProfile.load().to_client_connect_config()
    given = settings.model_fields_set
    if "temporal_address" in given or "target_host" not in options:
        options["target_host"] = settings.temporal_address
    if "temporal_namespace" in given or "namespace" not in options:
        options["namespace"] = settings.temporal_namespace
    if settings.temporal_api_key is not None:
        options["api_key"] = settings.temporal_api_key.get_secret_value()
        options.setdefault("tls", True)  # an API key travels over TLS unless TLS is turned off
    if "temporal_tls" in given:
        options["tls"] = _tls(options.get("tls"), settings.temporal_tls)
    return options


def _tls(loaded: bool | TLSConfig | None, wanted: bool) -> bool | TLSConfig:
    """TLS on or off as the settings say, keeping the certificates the standard config loaded."""
    if not wanted:
        return False
    return loaded if isinstance(loaded, TLSConfig) else True


async def connect(
    settings: Settings,
    *,
    interceptors: Sequence[Interceptor] = (),
    serve_metrics: bool = False,
    runtime: Runtime | None = None,
) -> Client:
    """A client; ``serve_metrics`` (the worker) also serves ``TRIAGE_METRICS_PORT``:
    one process per port, so the watcher, API and CLI never try to bind it.

    ``runtime``: a short-lived program (the CLI) passes a runtime of its own and
    drops it, with the client, before the interpreter exits. The SDK's default
    runtime lives in a module global, so its Rust threads outlive ``main`` and
    can take the GIL while Python finalizes (``PyGILState_Release`` aborts).
    """
    if runtime is None and serve_metrics and settings.metrics_port:
        runtime = worker_runtime(settings, serve_metrics=True)
    return await Client.connect(
        **connect_options(settings),
        data_converter=data_converter(settings),
        interceptors=[*tracing_interceptors("support-triage"), *interceptors],
        runtime=runtime,
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the project's search attributes that the namespace lacks.

    Returns the names it added. Safe to run on every start.
    """
    wanted = as_indexed_types()
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {n: k for n, k in wanted.items() if n not in existing.custom_attributes}
    except RPCError as err:
        # The time-skipping test server can add search attributes but not list them.
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        missing = wanted
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)


async def update_with_start(
    client: Client,
    workflow: str,
    start_arg: Any,
    *,
    workflow_id: str,
    task_queue: str,
    update: str,
    request: Any,
    result_type: type,
    update_id: str | None = None,
) -> Any:
    """Run ``update`` on a long-lived workflow, starting it first if it is not running.

    For the workflows that hold state by name (a conversation, an inbox's counters or
    autonomy): whoever asks first starts it, and everyone gets the update's answer.
    """
    start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
        workflow,
        start_arg,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await client.execute_update_with_start_workflow(
        update, request, start_workflow_operation=start, id=update_id, result_type=result_type
    )


T = TypeVar("T")


async def unless_missing(call: Awaitable[T], default: T | None = None) -> T | None:
    """The call's answer, or ``default`` when Temporal answers NOT_FOUND (no such
    execution, or one that already closed)."""
    try:
        return await call
    except RPCError as err:
        if err.status is RPCStatusCode.NOT_FOUND:
            return default
        raise
