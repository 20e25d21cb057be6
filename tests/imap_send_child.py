"""A worker's send, killed with SIGKILL at one step: ``python -m tests.imap_send_child DRAFT_ID STEP``.

The mailbox comes from the environment (TRIAGE_IMAP_*), as in a worker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from triage.mail.imap.provider import ImapProvider
from triage.runtime.config import Settings


async def main(draft_id: str, kill_at: str) -> None:
    provider = ImapProvider.from_settings(Settings())

    def step(name: str) -> None:
        if name == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    provider.on_send_step = step
    async with provider:
        await provider.send_draft("support", draft_id)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
