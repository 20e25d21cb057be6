"""``python -m triage.mail.sim``: the emulator as a standalone service."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from triage.mail.sim.runner import serve_mailsim


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m triage.mail.sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8725)
    parser.add_argument("--db", "--db-file", dest="db", type=Path, default=Path(".data/mailsim.db"))
    parser.add_argument("--api-key", default="sim-dev-key")
    parser.add_argument("--inbox-id", default="support")
    parser.add_argument("--inbox-email", default="support@acme-help.test")
    parser.add_argument("--ping-interval", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=None, help="seed for the fault dice")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_mailsim(
                host=args.host,
                port=args.port,
                db_path=args.db,
                api_key=args.api_key,
                inbox_id=args.inbox_id,
                inbox_email=args.inbox_email,
                ping_interval=args.ping_interval,
                seed=args.seed,
                log_level=args.log_level,
            )
        )


if __name__ == "__main__":
    main()
