"""Custom search attributes: the index reviewers and operators query.

The list is the single source of truth for the dev server, the test servers
and the cluster set-up (``docker-compose.temporal.yml`` is checked against it).
"""

from __future__ import annotations

from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey

TRIAGE_STATUS = SearchAttributeKey.for_keyword("TriageStatus")
TRIAGE_CATEGORY = SearchAttributeKey.for_keyword("TriageCategory")
TRIAGE_CONFIDENCE = SearchAttributeKey.for_float("TriageConfidence")
TRIAGE_REVIEWER = SearchAttributeKey.for_keyword("TriageReviewer")
TRIAGE_INBOX = SearchAttributeKey.for_keyword("TriageInbox")
TRIAGE_THREAD = SearchAttributeKey.for_keyword("TriageThread")  # every message of one conversation
# A reviewer corrected the category: `triage corrections export` and retraining read these.
TRIAGE_CORRECTED = SearchAttributeKey.for_bool("TriageCorrected")

ALL_KEYS = (
    TRIAGE_STATUS,
    TRIAGE_CATEGORY,
    TRIAGE_CONFIDENCE,
    TRIAGE_REVIEWER,
    TRIAGE_INBOX,
    TRIAGE_THREAD,
    TRIAGE_CORRECTED,
)

# The names Temporal's CLI and operator API use for each key's type.
_CLI_TYPE = {"KEYWORD": "Keyword", "DOUBLE": "Double", "BOOL": "Bool"}


def cli_type(key: SearchAttributeKey[Any]) -> str:
    return _CLI_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]


def as_cli_flags() -> list[str]:
    """``--search-attribute Name=Type`` pairs for ``temporal server start-dev``."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}={cli_type(key)}"]
    return flags


def as_indexed_types() -> dict[str, IndexedValueType.ValueType]:
    """The mapping the operator service's ``AddSearchAttributes`` takes."""
    return {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in ALL_KEYS}
