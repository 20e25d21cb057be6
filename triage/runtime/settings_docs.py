"""``docs/configuration.md``, made from the settings model (``triage.runtime.config.Settings``).

``python -m triage.runtime.settings_docs`` writes the page; ``--check`` exits 1 when
the page is stale (``tests/test_settings_docs.py`` does the same). A setting's
variable, default and meaning are written once, in its field.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from triage.runtime.config import Settings

PAGE = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

_INTRO = """\
# Configuration

<!-- Made by `python -m triage.runtime.settings_docs` from triage/runtime/config/; edit the fields there. -->

Every process (worker, watcher, API, CLI) reads the environment, validated once
at start (`triage/runtime/config/`). `TRIAGE_CONFIG=path/to/triage.toml` adds a file
whose keys are the lower-case variable names; the environment wins over it.
Durations are ISO-8601 (`PT24H`, `P30D`) or seconds; lists and objects are JSON.

"""

_OUTRO = """
Read elsewhere, not by the settings model:

| variable | meaning |
|---|---|
| `TEMPORAL_TLS_CLIENT_CERT_PATH` / `_KEY_PATH`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH` / `TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`, `TEMPORAL_GRPC_META_*` | mTLS, profiles and gRPC headers: Temporal's standard client configuration, as the `temporal` CLI reads it (the settings above win over a profile) |
| `TRIAGE_CODEC_TOKEN`, `TRIAGE_CODEC_ALLOWED_HOSTS` | `triage codec-server`: the bearer token it asks for, extra host names it answers |
| `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `TRIAGE_TRACE_CONSOLE=1` | tracing: OTLP/HTTP export, or spans on the console |
| `TRIAGE_REVIEWER`, `TRIAGE_API_TOKEN` | the CLI's reviewer name, and its token for `--api` |
| `TRIAGE_LANGUAGE_DIRS` | folders of your own language packs, separated like `PATH` (`triage lang check`; [Extending](extending.md#a-language)): read from the environment when the phrase tables load, so not from `TRIAGE_CONFIG` |
| `TRIAGE_DEBUG=1`, `TRIAGE_LOG_LEVEL` | the CLI shows tracebacks; the log level of the long-running commands |
"""


def variable(field: FieldInfo) -> str:
    """The environment variable a setting is read from (its first alias)."""
    alias = field.validation_alias
    assert isinstance(alias, AliasChoices), "every setting names its variable with _env()"
    first = alias.choices[0]
    assert isinstance(first, str)
    return first


def shown(value: Any) -> str:
    """A default as a user writes it in the environment."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value() or None
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, timedelta):
        return f"`{_iso_duration(value)}`"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(value, separators=(',', ':'), default=lambda member: member.value)}`"
    return f"`{value}`"


def _iso_duration(value: timedelta) -> str:
    """Whole weeks and more in days (``P30D``), shorter spans in hours (``PT72H``) or less."""
    seconds = int(value.total_seconds())
    if seconds >= 7 * 86_400 and seconds % 86_400 == 0:
        return f"P{seconds // 86_400}D"
    for unit, size in (("H", 3_600), ("M", 60)):
        if seconds and seconds % size == 0:
            return f"PT{seconds // size}{unit}"
    return f"PT{seconds}S"


def table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in Settings.model_fields.values():
        default = field.get_default(call_default_factory=True)
        rows.append(f"| `{variable(field)}` | {shown(default)} | {field.description or ''} |")
    return "\n".join(rows) + "\n"


def page() -> str:
    return _INTRO + table() + _OUTRO


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.runtime.settings_docs", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale, write nothing")
    args = parser.parse_args(argv)
    current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
    if args.check:
        if current != page():
            print(f"{PAGE} is stale: run python -m triage.runtime.settings_docs", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
