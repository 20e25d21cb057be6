"""No open back doors (issue 12, item 4): the codec server, the emulator's
socket and start-up output, Slack messages and the Web UI's Markdown."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import websockets
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from temporalio.api.common.v1 import Payload, Payloads

from activities.notify import FIELD_CHARS, HEADER_CHARS, SECTION_CHARS, TEXT_CHARS, slack_blocks, slack_escape
from starter.start import summary_for
from triage.domain.inbound import build_inbound, markdown_text
from triage.domain.models import (
    Category,
    Classification,
    Notification,
    PolicyDecision,
    TriageState,
    TriageStatus,
)
from triage.domain.outcome import review_summary
from triage.runtime.asgi_server import free_port, serving
from triage.runtime.codec import EncryptionCodec, generate_key
from triage.runtime.codec_server import CodecServerRefused, create_codec_app

ROOT = Path(__file__).resolve().parents[1]

# ---- codec server ---------------------------------------------------------------------


def _codec() -> EncryptionCodec:
    return EncryptionCodec.from_spec(generate_key())


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "codec.example.com", ""])
def test_a_codec_server_without_a_token_will_not_listen_off_loopback(host):
    with pytest.raises(CodecServerRefused, match="TRIAGE_CODEC_TOKEN"):
        create_codec_app(_codec(), allowed_origins=[], token=None, bind_host=host)
    create_codec_app(_codec(), allowed_origins=[], token="a-long-codec-token", bind_host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_a_codec_server_without_a_token_may_listen_on_loopback(host):
    create_codec_app(_codec(), allowed_origins=[], token=None, bind_host=host)


async def _sealed_body(codec: EncryptionCodec) -> str:
    sealed = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"secret mail"')])
    return json_format.MessageToJson(Payloads(payloads=sealed))


async def test_codec_server_checks_host_and_answers_only_loopback_without_a_token():
    codec = _codec()
    body = await _sealed_body(codec)
    app = create_codec_app(codec, allowed_origins=[], token=None, allowed_hosts=["codec.internal"])
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.post("/decode", content=body)).status_code == 200
        # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
        rebound = await http.post(
            "/decode", content=body, headers={"Host": f"evil.example:{url.rsplit(':', 1)[1]}"}
        )
        assert rebound.status_code == 421 and "secret" not in rebound.text
        assert (
            await http.post("/decode", content=body, headers={"Host": "codec.internal"})
        ).status_code == 200
        assert (await http.post("/decode", content=body, headers={"Host": "[::1]:8081"})).status_code == 200
        # Behind a local proxy, a remote client is still remote: no token, no answer.
        remote = await http.post("/decode", content=body, headers={"X-Forwarded-For": "203.0.113.7"})
        assert remote.status_code == 403 and "secret" not in remote.text


def test_the_codec_server_command_refuses_to_start_open_on_the_network():
    env = {k: v for k, v in os.environ.items() if k != "TRIAGE_CODEC_TOKEN"}
    env["TRIAGE_ENCRYPTION_KEY"] = generate_key()
    triage = Path(sys.executable).with_name("triage")
    run = subprocess.run(
        [str(triage), "codec-server", "--host", "0.0.0.0", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode != 0
    assert "refusing" in run.stderr + run.stdout and "TRIAGE_CODEC_TOKEN" in run.stderr + run.stdout


# ---- the emulator -----------------------------------------------------------------------


async def test_emulator_socket_refuses_web_pages(mailsim):
    url = f"{mailsim.ws_url}?api_key={mailsim.api_key}"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    async with websockets.connect(url) as socket:  # the watcher sends no Origin
        assert json.loads(await asyncio.wait_for(socket.recv(), 5))["type"] == "connected"


def test_emulator_never_prints_its_key(tmp_path):
    key = "mam_live_" + "k" * 32
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "triage.mail.sim",
            "--port",
            str(free_port()),
            "--db",
            str(tmp_path / "m.db"),
            "--api-key",
            key,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "control" in line:
                break
    finally:
        process.terminate()
        process.wait(10)
    output = "".join(lines)
    assert "API key" in output and "REST base" in output
    assert key not in output and "kkkk" not in output


# ---- Slack ------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "<!channel>",
            "<!here|x>",
            "<@U123>",
            "<http://evil.example|Open review>",
            "&lt;!channel&gt;",
            "a & b",
            "<",
            ">",
            "&",
        ]
    ),
    st.lists(st.sampled_from(["<", ">", "&", "<!channel>", "x", "\n", "|", "*", "é"]), max_size=3000).map(
        "".join
    ),
)


def _notification(subject: str, sender: str, snippet: str, reasons: list[str]) -> Notification:
    return Notification(
        kind="review_requested",
        workflow_id="triage-msg_1",
        revision=1,
        category=Category.BILLING,
        confidence=0.5,
        from_address=sender,
        subject=subject,
        snippet=snippet,
        reasons=reasons,
    )


def _mrkdwn_texts(message: dict) -> list[str]:
    texts = [message["text"]]
    for block in message["blocks"]:
        texts += [f["text"] for f in block.get("fields", [])]
        if "text" in block and block["text"]["type"] == "mrkdwn":
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def _assert_inert(text: str) -> None:
    body = text[1:] if text.startswith(">") else text  # the snippet's own quote marker
    assert "<" not in body and ">" not in body
    assert not re.search(r"&(?!amp;|lt;|gt;)", body)


@settings(max_examples=300, deadline=None)
@given(subject=HOSTILE, sender=HOSTILE, snippet=HOSTILE, reasons=st.lists(HOSTILE, max_size=5))
def test_slack_messages_are_escaped_and_within_limits(subject, sender, snippet, reasons):
    message = slack_blocks(
        _notification(subject, sender, snippet, reasons), "https://triage.example.com/reviews/triage-msg_1"
    )
    json.dumps(message)
    assert len(message["text"]) <= TEXT_CHARS and len(message["blocks"]) <= 50
    for text in _mrkdwn_texts(message):
        _assert_inert(text)
    for block in message["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= HEADER_CHARS
        if block["type"] == "section":
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= FIELD_CHARS for f in block.get("fields", []))
            assert len(block.get("text", {}).get("text", "")) <= SECTION_CHARS
        if block["type"] == "context":
            assert all(len(e["text"]) <= SECTION_CHARS for e in block["elements"])


def test_slack_escaping_is_slacks_and_never_cuts_an_entity():
    assert slack_escape("<!channel> & <http://evil|x>") == "&lt;!channel&gt; &amp; &lt;http://evil|x&gt;"
    cut = slack_escape("&" * 100, 12)
    assert cut == "&amp;&amp;…" and len(cut) <= 12
    message = slack_blocks(
        _notification("<!channel> " + "s" * 5000, "Eve <eve@evil.test>", "hi", []), "https://x/reviews/1"
    )
    assert "<!channel>" not in json.dumps(message) and "&lt;!channel&gt;" in message["text"]
    subject_field = message["blocks"][1]["fields"][2]["text"]
    assert subject_field.startswith("*Subject:* &lt;!channel&gt; ss") and subject_field.endswith("…")


# ---- the Web UI's Markdown --------------------------------------------------------------

PHISHING = "[Reset your password](http://evil.example/login) **now** <b>x</b> www.evil.example"


def _html(markdown: str) -> str:
    try:
        import linkify_it  # noqa: F401  (bare-URL autolinking, as GitHub-style renderers do)
    except ImportError:  # not installed here: CommonMark's own links and autolinks still count
        return MarkdownIt("commonmark").render(markdown)
    return MarkdownIt("commonmark", {"linkify": True}).enable("linkify").render(markdown)


def test_summaries_show_customer_text_and_link_nothing():
    message = build_inbound(
        message_id="m",
        inbox_id="i",
        thread_id=None,
        from_address="[Support](http://evil.example) <eve@evil.test>",
        to=[],
        subject=PHISHING,
        plain_body="",
        html_body=None,
        received_at=None,
    )
    state = TriageState(
        workflow_id="triage-m",
        status=TriageStatus.AWAITING_REVIEW,
        message=message,
        started_at=datetime.now(UTC),
        classification=Classification(category=Category.FAQ, confidence=0.9),
        policy_decision=PolicyDecision(auto_send=False, reasons=["guard flags: bad_address"]),
    )
    for markdown in (review_summary(TriageStatus.AWAITING_REVIEW, state), summary_for(message)):
        html = _html(markdown)
        assert "<a " not in html and "<b>" not in html and "<strong>now" not in html, html
        assert "Reset your password" in html and "evil" in html  # shown, as text
    assert len(summary_for(message)) <= 200
    assert markdown_text("a_b*c") == r"a\_b\*c"


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("tom.ridley@example.com", "tom.ridley@example.com"),  # only what Markdown needs: no stray \@
        ('"a reply…" conversation; 50% off, ok?', '"a reply…" conversation; 50% off, ok?'),
        ("a_b*c `d` ~e~ |f|", r"a\_b\*c \`d\` \~e\~ \|f\|"),
        ("[x](y) <b>", r"\[x\](y) \<b\>"),
        ("# not a heading", r"\# not a heading"),
        ("1. not a list", r"1\. not a list"),
        ("- not a list", r"\- not a list"),
        ("a - b # c", "a - b # c"),  # block markers matter only at the start
    ],
)
def test_markdown_escapes_only_what_markdown_needs(text, markdown):
    assert markdown_text(text) == markdown
    assert "<a " not in _html(markdown) and "<em>" not in _html(markdown) and "<h1>" not in _html(markdown)
