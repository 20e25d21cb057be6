"""Encrypted payloads: nothing of the customer's text reaches Temporal in the clear."""

from __future__ import annotations

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from starter.review import decide_current
from tests.conftest import running_worker, sent_mail
from tests.scripted_provider import subject
from tests.test_workflow import start_for, wait_for_status
from triage.asgi_server import serving
from triage.codec import CodecKeyError, EncryptionCodec, generate_key, parse_keys
from triage.codec_server import create_codec_app
from triage.models import ReviewAction, TriageStatus
from triage.temporal_client import data_converter
from worker.main import WORKFLOWS

SECRET_BODY = "My account number is ZX-99817 and my cat is called Biscuit"


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
    settings = settings.model_copy(update={"encryption_key": SecretStr(generate_key())})
    encrypted = Client(dev_env.client.service_client, namespace="default", data_converter=data_converter(settings))
    async with running_worker(encrypted, settings):
        handle = await start_for(
            encrypted, settings, control, subject=subject("billing", 0.9, text="Biscuit"), plain_body=SECRET_BODY
        )
        await wait_for_status(handle, TriageStatus.AWAITING_REVIEW)
        _, outcome = await decide_current(encrypted, handle.id, ReviewAction.APPROVE, "alice")
        assert outcome.status is TriageStatus.SENT
        await handle.result()
    raw = await dev_env.client.get_workflow_handle(handle.id).fetch_history()
    # Text format shows payload bytes as they are (JSON would base64 them).
    dump = "\n".join(str(event) for event in raw.events)
    assert "TriageStatus" in dump  # the check can see what is in the clear
    for secret in ("ZX-99817", "Biscuit", "Scripted reply"):
        assert secret not in dump
    assert len(await sent_mail(control)) == 1
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=data_converter(settings))
    await replayer.replay_workflow(await handle.fetch_history())
    with pytest.raises(Exception):  # noqa: B017 - any failure: the history is unreadable without the key
        await Replayer(workflows=list(WORKFLOWS), data_converter=pydantic_data_converter).replay_workflow(
            await handle.fetch_history(), raise_on_replay_failure=True
        )
