"""A restarted workflow worker replays its open reviews before anything else: its imports read
no language pack (the packs' phrases are read and compiled at the first message that needs them:
``triage.domain.inbound``, ``triage.domain.signature``, ``triage.domain.replies``)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import HISTORY_DIR

READS = (
    "import worker.main, triage.domain.languages as languages; print(languages._found.cache_info().misses)"
)


def test_importing_the_workflow_worker_reads_no_language_pack():
    out = subprocess.run(
        [sys.executable, "-c", READS], capture_output=True, text=True, check=True, cwd=HISTORY_DIR.parents[1]
    )
    assert out.stdout.strip() == "0"


def test_the_phrases_are_read_at_first_use():
    from triage.domain.inbound import NEUTRAL_REPLY_SUBJECT, skip_reason
    from triage.domain.signature import split_signature

    assert NEUTRAL_REPLY_SUBJECT == "Re: your message"
    assert skip_reason("jane@example.org", "Out of office: back Monday", set()) == "automatic reply"
    assert split_signature("Thanks!\n\nJane Doe\nHead of Sales\nTel. +49 30 1234567")[1].startswith("Jane")
