"""Encrypted payloads: nothing of the customer's text reaches Temporal in the clear."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from starter.review import decide_current
from tests.conftest import _binary, running_worker, sent_mail
from tests.helpers import ALICE, REVIEWERS, api, start_for, wait_for_status
from tests.scripted_provider import subject
from triage.domain.models import ReviewAction, TriageStatus
from triage.runtime.asgi_server import free_port, serving
from triage.runtime.codec import ENCODING, CodecKeyError, EncryptionCodec, generate_key, parse_keys
from triage.runtime.codec_server import create_codec_app
from triage.runtime.config import Settings
from triage.runtime.temporal_client import data_converter
from worker.main import WORKFLOWS

SECRET_BODY = "My account number is ZX-99817 and my cat is called Biscuit"
SECRETS = ("ZX-99817", "Biscuit", "Scripted reply")
CODEC_TOKEN = "codec-t0k"


def with_encryption(settings: Settings, dev_env: WorkflowEnvironment) -> Settings:
    """``settings`` with a fresh key, pointing at the dev server as a separate process would."""
    return settings.model_copy(
        update={
            "encryption_key": SecretStr(generate_key()),
            "temporal_address": dev_env.client.service_client.config.target_host,
            "temporal_namespace": dev_env.client.namespace,
        }
    )


def encrypted_client(dev_env: WorkflowEnvironment, settings: Settings) -> Client:
    return Client(
        dev_env.client.service_client,
        namespace=dev_env.client.namespace,
        data_converter=data_converter(settings),
    )


async def awaiting_review(client: Client, settings: Settings, control: httpx.AsyncClient):
    handle = await start_for(
        client, settings, control, subject=subject("billing", 0.9, text="Biscuit"), plain_body=SECRET_BODY
    )
    await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
    return handle


async def assert_sealed(dev_env: WorkflowEnvironment, workflow_id: str) -> None:
    """The stored history, read without the key, holds none of the customer's or the model's text."""
    raw = await dev_env.client.get_workflow_handle(workflow_id).fetch_history()
    # Text format shows payload bytes as they are (JSON would base64 them).
    dump = "\n".join(str(event) for event in raw.events)
    assert "TriageStatus" in dump  # the check can see what is in the clear
    for secret in SECRETS:
        assert secret not in dump


async def assert_replays_only_with_the_key(history: WorkflowHistory, settings: Settings) -> None:
    await Replayer(workflows=list(WORKFLOWS), data_converter=data_converter(settings)).replay_workflow(
        history
    )
    with pytest.raises(Exception):  # noqa: B017 - any failure: the history is unreadable without the key
        await Replayer(workflows=list(WORKFLOWS), data_converter=pydantic_data_converter).replay_workflow(
            history, raise_on_replay_failure=True
        )


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """A separate process's environment, configured like ``settings`` and nothing else of Temporal's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "TRIAGE_"))}
    assert settings.encryption_key is not None
    env.update(
        TEMPORAL_ADDRESS=settings.temporal_address,
        TEMPORAL_NAMESPACE=settings.temporal_namespace,
        TRIAGE_ENCRYPTION_KEY=settings.encryption_key.get_secret_value(),
        **extra,
    )
    return env


async def run(*command: str, env: dict[str, str], timeout: float = 60) -> str:
    """Run a program without blocking the event loop (the in-process worker must keep working)."""
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode == 0, (command, stdout.decode(), stderr.decode())
    return stdout.decode()


@asynccontextmanager
async def running_codec_server(settings: Settings) -> AsyncIterator[str]:
    """``triage codec-server`` as an operator starts it, until it answers; yields its URL."""
    url = f"http://127.0.0.1:{free_port()}"
    process = await asyncio.create_subprocess_exec(
        _binary("triage"),
        "codec-server",
        "--port",
        url.rpartition(":")[2],
        env=process_env(settings, TRIAGE_CODEC_TOKEN=CODEC_TOKEN),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until_decoding(url, process)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def until_decoding(url: str, process: asyncio.subprocess.Process) -> None:
    ready_check: dict[str, Any] = {
        "content": '{"payloads": []}',
        "headers": {"Authorization": f"Bearer {CODEC_TOKEN}"},
    }
    async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(30):
        while process.returncode is None:
            with contextlib.suppress(httpx.TransportError):
                if (await http.post("/decode", **ready_check)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    assert process.stderr is not None
    raise AssertionError(f"triage codec-server exited: {(await process.stderr.read()).decode()}")


def workflow_show(settings: Settings, workflow_id: str) -> list[str]:
    """``temporal workflow show`` as an operator types it, with JSON output."""
    connection = ["--address", settings.temporal_address, "--namespace", settings.temporal_namespace]
    return [_binary("temporal"), "workflow", "show", "-w", workflow_id, "--output", "json", *connection]


def payloads_in(cli_json: str) -> list[tuple[bytes, bytes]]:
    """(encoding, data) of every payload in ``temporal ... --output json``."""
    found: list[tuple[bytes, bytes]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("metadata"), dict) and "data" in node:
                found.append(
                    (base64.b64decode(node["metadata"].get("encoding", "")), base64.b64decode(node["data"]))
                )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(cli_json))
    return found


async def test_round_trip_and_rotation():
    old, new = generate_key(), generate_key()
    before = EncryptionCodec.from_spec(f"k1:{old}")
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'"hello"')
    sealed = await before.encode([payload])
    assert b"hello" not in sealed[0].data and sealed[0].metadata["encryption-key-id"] == b"k1"
    rotated = EncryptionCodec.from_spec(f"k2:{new},k1:{old}")
    assert (await rotated.decode(sealed)) == [payload]
    assert (await rotated.encode([payload]))[0].metadata["encryption-key-id"] == b"k2"
    with pytest.raises(CodecKeyError):
        await EncryptionCodec.from_spec(f"k2:{new}").decode(sealed)


@pytest.mark.parametrize("spec", ["", "not base64!", "a:" + "QUJD"])
def test_bad_keys_are_refused(spec):
    with pytest.raises(CodecKeyError):
        parse_keys(spec)


async def test_codec_server_decodes_for_the_ui():
    codec = EncryptionCodec.from_spec(generate_key())
    sealed = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"hi"')])
    app = create_codec_app(codec, allowed_origins=["http://localhost:8233"], token="t0k")
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        body = json_format.MessageToJson(Payloads(payloads=sealed))
        assert (await http.post("/decode", content=body)).status_code == 401
        response = await http.post(
            "/decode",
            content=body,
            headers={"Authorization": "Bearer t0k", "Origin": "http://localhost:8233"},
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "http://localhost:8233"
        decoded = json_format.Parse(response.text, Payloads())
        assert decoded.payloads[0].data == b'"hi"'


async def test_history_holds_no_plaintext_and_everything_still_works(dev_env, settings, control):
    settings = with_encryption(settings, dev_env)
    encrypted = encrypted_client(dev_env, settings)
    async with running_worker(encrypted, settings):
        handle = await awaiting_review(encrypted, settings, control)
        _, outcome = await decide_current(encrypted, handle.id, ReviewAction.APPROVE, "alice")
        assert outcome.status is TriageStatus.SENT
        await handle.result()
    await assert_sealed(dev_env, handle.id)
    assert len(await sent_mail(control)) == 1
    await assert_replays_only_with_the_key(await handle.fetch_history(), settings)


async def test_our_cli_and_the_reviewer_api_approve_encrypted_reviews(dev_env, settings, control):
    """Separate processes and the API's own client carry the key; the replies go out."""
    settings = with_encryption(settings, dev_env).model_copy(update={"reviewers": REVIEWERS})
    encrypted = encrypted_client(dev_env, settings)
    async with running_worker(encrypted, settings):
        by_cli = await awaiting_review(encrypted, settings, control)
        by_api = await awaiting_review(encrypted, settings, control)

        printed = await run(
            _binary("triage"), "approve", by_cli.id, "--reviewer", "carol", env=process_env(settings)
        )
        assert "(approved by carol, revision 1)" in printed and printed.startswith("sent msg_")
        # No client handed in: the app connects by itself, through connect(settings).
        async with api(settings, None) as http:
            approved = await http.post(f"/api/reviews/{by_api.id}/approve", headers=ALICE)
        assert approved.status_code == 200 and approved.json()["status"] == "sent", approved.text

        assert (await by_cli.result()).reviewer == "carol"
        assert (await by_api.result()).reviewer == "alice"
    assert len(await sent_mail(control)) == 2
    for handle in (by_cli, by_api):
        await assert_sealed(dev_env, handle.id)
        await assert_replays_only_with_the_key(await handle.fetch_history(), settings)


async def test_the_temporal_cli_reads_history_only_through_the_codec_server(dev_env, settings, control):
    settings = with_encryption(settings, dev_env)
    # No worker: the start alone puts the email into history (as the workflow's input).
    handle = await start_for(
        encrypted_client(dev_env, settings), settings, control, subject="Account", plain_body=SECRET_BODY
    )
    show = workflow_show(settings, handle.id)
    try:
        async with running_codec_server(settings) as codec_url:
            codec = ["--codec-endpoint", codec_url, "--codec-auth", f"Bearer {CODEC_TOKEN}"]
            decoded = await run(*show, *codec, env=process_env(settings))
        sealed = await run(*show, env=process_env(settings))
    finally:
        await handle.terminate("test done")
    # The CLI's JSON shows payloads as protobuf JSON: base64 data, base64 metadata.
    readable, stored = payloads_in(decoded), payloads_in(sealed)
    assert any(b"ZX-99817" in data for _, data in readable)
    assert ENCODING not in {encoding for encoding, _ in readable}
    assert not any(b"ZX-99817" in data for _, data in stored) and "ZX-99817" not in sealed
    # The input and the summary (sender, subject) are sealed; search attributes stay in the clear.
    assert [encoding for encoding, _ in stored].count(ENCODING) >= 2
