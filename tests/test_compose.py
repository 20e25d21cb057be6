"""docker-compose.temporal.yml, checked statically (no Docker engine runs in CI)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from triage.search_attributes import ALL_KEYS, cli_type

COMPOSE = yaml.safe_load((Path(__file__).parent.parent / "docker-compose.temporal.yml").read_text())


def test_every_image_is_pinned():
    for name, service in COMPOSE["services"].items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]*\d[\w.-]*", image), f"{name}: {image} is not pinned"
        assert not image.endswith(":latest")


def test_server_and_ui_have_health_or_dependencies():
    services = COMPOSE["services"]
    assert "healthcheck" in services["temporal"] and "healthcheck" in services["postgresql"]
    assert services["temporal-ui"]["depends_on"]["temporal"]["condition"] == "service_healthy"


def test_registered_search_attributes_match_the_code():
    command = " ".join(COMPOSE["services"]["temporal-admin-tools"]["command"])
    registered = dict(re.findall(r"--name (\w+) --type (\w+)", command))
    assert registered == {key.name: cli_type(key) for key in ALL_KEYS}
