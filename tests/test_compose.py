"""docker-compose.temporal.yml, checked statically (no Docker engine runs in CI)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from triage.domain.search_attributes import ALL_KEYS, cli_type
from triage.runtime.config import Settings

COMPOSE = yaml.safe_load((Path(__file__).parent.parent / "docker-compose.temporal.yml").read_text())
SERVICES = COMPOSE["services"]
PROJECT_NAMESPACE = Settings.model_fields["temporal_namespace"].default


def script(name: str) -> str:
    """A one-shot service's shell script, as the shell sees it (Compose turns ``$$`` into ``$``)."""
    return " ".join(SERVICES[name]["command"]).replace("$$", "$")


def condition(service: str, dependency: str) -> str:
    return SERVICES[service]["depends_on"][dependency]["condition"]


def test_every_image_is_pinned():
    for name, service in SERVICES.items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]*\d[\w.-]*", image), f"{name}: {image} is not pinned"
        assert not image.endswith(":latest")


def test_server_and_its_tools_move_together():
    """The schema tool must be the server's own release, or migrations and server disagree."""
    server_version = SERVICES["temporal"]["image"].partition(":")[2]
    for name in ("temporal-schema", "temporal-admin-tools"):
        assert SERVICES[name]["image"] == f"temporalio/admin-tools:{server_version}"


def test_no_deprecated_auto_setup_image():
    assert not any("auto-setup" in service["image"] for service in SERVICES.values())
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")


def test_postgres_and_server_have_health_checks():
    for name in ("postgresql", "temporal"):
        check = SERVICES[name]["healthcheck"]
        assert check["test"] and check["retries"] > 0, name
    assert "pg_isready" in " ".join(SERVICES["postgresql"]["healthcheck"]["test"])


def test_start_order_schema_then_server_then_ui_and_admin_tools():
    assert condition("temporal-schema", "postgresql") == "service_healthy"
    assert condition("temporal", "temporal-schema") == "service_completed_successfully"
    for name in ("temporal-ui", "temporal-admin-tools"):
        assert condition(name, "temporal") == "service_healthy", name


def test_visibility_is_sql_on_postgres():
    env = SERVICES["temporal"]["environment"]
    assert env["DB"] == "postgres12" and env["POSTGRES_SEEDS"] == "postgresql"
    assert env["ENABLE_ES"] == "false"  # SQL visibility, not Elasticsearch
    assert env["VISIBILITY_DBNAME"] != env["DBNAME"]
    # The schema step creates and migrates exactly the databases the server uses.
    assert SERVICES["temporal-schema"]["environment"]["VISIBILITY_DBNAME"] == env["VISIBILITY_DBNAME"]
    setup = script("temporal-schema")
    assert "temporal-sql-tool --plugin postgres12" in setup
    assert f"migrate {env['DBNAME']} temporal" in setup
    assert f"migrate {env['VISIBILITY_DBNAME']} visibility" in setup


def test_server_reads_the_mounted_dynamic_config():
    env = SERVICES["temporal"]["environment"]
    mounts = {m["target"]: m["source"] for m in SERVICES["temporal"]["configs"]}
    assert mounts[env["DYNAMIC_CONFIG_FILE_PATH"]] in COMPOSE["configs"]


def test_the_project_namespace_is_created():
    setup = script("temporal-admin-tools")
    assert f"temporal operator namespace create --namespace {PROJECT_NAMESPACE}" in setup
    assert SERVICES["temporal-admin-tools"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_registered_search_attributes_match_the_code():
    setup = script("temporal-admin-tools")
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", setup))
    assert registered == {key.name: cli_type(key) for key in ALL_KEYS}
    # On SQL visibility search attributes belong to a namespace: ours.
    assert f"search-attribute create --namespace {PROJECT_NAMESPACE}" in setup


def test_web_ui_reaches_the_server_and_takes_a_codec_endpoint():
    env = SERVICES["temporal-ui"]["environment"]
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "TEMPORAL_CODEC_ENDPOINT" in env
