"""Connecting: Temporal's standard environment configuration under the project's settings.

The connect arguments are computed without a network; only the last test
connects, to the dev server, through the same code path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.service import TLSConfig

from triage.runtime.config import Settings
from triage.runtime.temporal_client import connect, connect_options

CLOUD_PROFILE = """
[profile.cloud]
address = "support.acme.tmprl.cloud:7233"
namespace = "support.acme"
api_key = "cloud-key"

[profile.cloud.grpc_meta]
x-tenant = "acme"
"""


@pytest.fixture
def environment(monkeypatch, tmp_path: Path):
    """No Temporal or project variable from the caller's shell, and no config file."""
    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "TRIAGE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "absent.toml"))
    return monkeypatch


def pem_files(directory: Path) -> dict[str, bytes]:
    """Stand-in certificate files: the options carry their bytes, nothing parses them here."""
    files = {}
    for name in ("client.pem", "client.key", "ca.pem"):
        content = f"-----BEGIN {name}-----\n".encode()
        (directory / name).write_bytes(content)
        files[name] = content
    return files


def test_defaults_are_a_plain_local_server(environment):
    assert connect_options(Settings()) == {"target_host": "localhost:7233", "namespace": "default"}


def test_mtls_from_the_standard_variables(environment, tmp_path):
    pem = pem_files(tmp_path)
    environment.setenv("TEMPORAL_ADDRESS", "support.acme.tmprl.cloud:7233")
    environment.setenv("TEMPORAL_NAMESPACE", "support.acme")
    environment.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    environment.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))
    environment.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "ca.pem"))
    environment.setenv("TEMPORAL_TLS_SERVER_NAME", "support.acme.tmprl.cloud")

    options = connect_options(Settings())

    assert (options["target_host"], options["namespace"]) == ("support.acme.tmprl.cloud:7233", "support.acme")
    assert "api_key" not in options
    assert options["tls"] == TLSConfig(
        client_cert=pem["client.pem"],
        client_private_key=pem["client.key"],
        server_root_ca_cert=pem["ca.pem"],
        domain="support.acme.tmprl.cloud",
    )


def test_tls_true_keeps_the_client_certificate(environment, tmp_path):
    pem = pem_files(tmp_path)
    environment.setenv("TEMPORAL_TLS", "true")  # read by both the project and the standard config
    environment.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    environment.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "client.key"))

    tls = connect_options(Settings())["tls"]

    assert isinstance(tls, TLSConfig) and tls.client_cert == pem["client.pem"]


def test_an_api_key_means_tls_unless_turned_off(environment):
    environment.setenv("TEMPORAL_API_KEY", "secret-key")
    options = connect_options(Settings())
    assert (options["api_key"], options["tls"]) == ("secret-key", True)

    environment.setenv("TEMPORAL_TLS", "false")  # say, a TLS-terminating proxy on localhost
    assert connect_options(Settings())["tls"] is False


def test_a_profile_from_the_config_file(environment, tmp_path):
    (tmp_path / "temporal.toml").write_text(CLOUD_PROFILE)
    environment.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    environment.setenv("TEMPORAL_PROFILE", "cloud")

    assert connect_options(Settings()) == {
        "target_host": "support.acme.tmprl.cloud:7233",
        "namespace": "support.acme",
        "api_key": "cloud-key",
        "tls": True,
        "rpc_metadata": {"x-tenant": "acme"},
    }


def test_settings_given_explicitly_win_over_the_profile(environment, tmp_path):
    (tmp_path / "temporal.toml").write_text(CLOUD_PROFILE)
    environment.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "temporal.toml"))
    environment.setenv("TEMPORAL_PROFILE", "cloud")

    options = connect_options(
        Settings(temporal_address="127.0.0.1:7233", temporal_namespace="staging", temporal_tls=False)
    )

    assert (options["target_host"], options["namespace"], options["tls"]) == (
        "127.0.0.1:7233",
        "staging",
        False,
    )
    assert options["api_key"] == "cloud-key"  # what the settings do not say still comes from the profile


def test_a_missing_profile_is_an_error_not_a_silent_default(environment):
    environment.setenv("TEMPORAL_PROFILE", "nowhere")
    with pytest.raises(RuntimeError, match="nowhere"):
        connect_options(Settings())


async def test_a_plain_local_address_connects_to_the_dev_server(environment, dev_env):
    settings = Settings(
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_namespace=dev_env.client.namespace,
    )
    client = await connect(settings)
    assert client.service_client.config.tls is None
    assert await client.service_client.check_health()
    described = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace)
    )
    assert described.namespace_info.name == dev_env.client.namespace
