"""Run the benchmarks, print one summary table, write one JSON report each.

    python -m bench --size short|full [--only NAME ...] [--json-dir bench/results]

Each benchmark starts its own servers and tears them down; one that fails is
reported as failed and the others still run (exit status 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from bench.harness import Report, execute, print_table

BENCHMARKS = ("pipeline", "slow_llm", "pending_reviews", "catchup", "offline_model", "burst", "imap_latency")


def run_one(name: str, size: str) -> Report:
    try:
        # Imported one at a time: a benchmark whose imports break fails alone.
        module = importlib.import_module(f"bench.{name}")
    except Exception as err:
        return Report(name, {"size": size}, [], error=f"import failed: {type(err).__name__}: {err}")
    return execute(name, module.run, module.SIZES[size])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--size", choices=("short", "full"), default="short")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run just this one (repeatable)")
    parser.add_argument("--json-dir", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    reports = []
    for name in args.only or BENCHMARKS:
        began = time.perf_counter()
        report = run_one(name, args.size)
        report.details["wall_s"] = time.perf_counter() - began
        report.write(args.json_dir / f"{name}.json")
        reports.append(report)
    print()
    print_table(reports)
    return 1 if any(r.error for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
