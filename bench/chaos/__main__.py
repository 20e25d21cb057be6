"""Chaos run with exact accounting: faults on every layer, then every message reconciled.

    python -m bench.chaos --messages 1000 [--seed N] [--json PATH] [--keep] [--mail imap]

Prints the table and exits 1 on any mismatch; what a run does is told in ``bench.chaos``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from bench.chaos.plan import ChaosPlan
from bench.chaos.report import ChaosReport, format_report
from bench.chaos.run import run_chaos

if TYPE_CHECKING:  # imported at run time only when --mail imap asks for it
    from bench.chaos.imap import ImapChaosReport


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    parser.add_argument(
        "--mail",
        choices=("emulator", "imap"),
        default="emulator",
        help="imap: a real Dovecot (bench/chaos/imap.py)",
    )
    args = parser.parse_args(argv)
    # This process's client rides out the server restart on purpose; the SDK's
    # retry warnings about it would bury the table.
    quiet = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    Runtime.set_default(Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=quiet))))
    report: ChaosReport | ImapChaosReport
    if args.mail == "imap":
        from bench.chaos.imap import format_imap_report, run_imap_chaos

        report = asyncio.run(run_imap_chaos(args.messages, args.seed, keep_workdir=args.keep))
        print(format_imap_report(report), flush=True)
    else:
        report = asyncio.run(
            run_chaos(ChaosPlan.for_messages(args.messages, args.seed), keep_workdir=args.keep)
        )
        print(format_report(report), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(), indent=2, default=str))
    return 1 if report.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
