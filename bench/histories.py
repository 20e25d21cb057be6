"""Reading workflow histories: what a local-activity marker records."""

from __future__ import annotations

import json

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

# The marker the SDK records for each local activity (a patch marker is "core_patch").
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def local_activity_type(event: HistoryEvent) -> str | None:
    """The type of the local activity ``event`` records; None for any other event, a patch marker included."""
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER:
        return None
    (payload,) = marker.details["data"].payloads  # the SDK's JSON record of the call
    return str(json.loads(payload.data)["activity_type"])
