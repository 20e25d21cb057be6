"""One way to connect to Temporal, used by every program of the project."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter

from triage.config import Settings
from triage.search_attributes import as_indexed_types


async def connect(settings: Settings, *, interceptors: Sequence[Interceptor] = ()) -> Client:
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key else None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        interceptors=interceptors,
        api_key=api_key,
        tls=settings.temporal_tls or api_key is not None,
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the project's search attributes that the namespace lacks.

    Returns the names it added. Safe to run on every start.
    """
    existing = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    missing = {
        name: kind
        for name, kind in as_indexed_types().items()
        if name not in existing.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
