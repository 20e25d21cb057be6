"""The report of a chaos run: its figures, its mismatches, the printed table and the JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bench.chaos.accounting import ANOMALIES, OUTCOMES, Accounting
from bench.chaos.plan import FAULT_KINDS, STRANGER, ChaosPlan


@dataclass
class ChaosReport:
    plan: ChaosPlan
    accounting: Accounting
    faults: dict[str, int]
    reviews: dict[str, int]
    llm_faults_unused: int
    unexpected_exits: list[str]
    settled: bool
    limit_decided_before_faults: bool  # the limit sender's emails had their send decision first
    seconds: dict[str, float]
    workdir: str

    @property
    def summary(self) -> dict[str, int]:
        """The headline figures, flat (the table's first column)."""
        a = self.accounting
        return {
            "injected": a.injected,
            "follow_ups": a.follow_ups,
            "racing_follow_ups": a.kinds["racing"],
            "later_follow_ups": a.kinds["later"],
            "thank_yous": a.kinds["thanks"],
            "second_senders": a.kinds[STRANGER],
            "plus_flood_auto_sent": a.conversation["plus flood auto-sent"],
            "workflows": a.workflows,
            **{status: a.outcomes[status] for status in OUTCOMES},
            "replies": a.replies,
            "limit_held": a.conversation["limit-held"],
            "limit_sender_auto_sent": a.conversation["limit sender auto-sent"],
            **{anomaly.replace("2+ ", "").replace(" ", "_"): a.anomalies[anomaly] for anomaly in ANOMALIES},
        }

    @property
    def mismatches(self) -> list[str]:
        problems = list(self.accounting.mismatches)
        if not self.settled:
            problems.append("the run did not settle in time")
        problems += [f"unexpected exit: {exit}" for exit in self.unexpected_exits]
        return problems

    def as_json(self) -> dict:
        return asdict(self) | {
            "summary": self.summary,
            "mismatches": self.mismatches,
            "ok": not self.mismatches,
        }


def format_report(report: ChaosReport) -> str:
    a = report.accounting
    seconds = ", ".join(f"{name} {value:.0f}s" for name, value in report.seconds.items())
    lines = [f"chaos run: {a.injected} messages, seed {report.plan.seed} ({seconds})", ""]
    lines += [f"  {name:<30}{value:>8}" for name, value in a.rows()]
    if not report.limit_decided_before_faults:
        lines.append("  (the limit sender's emails were not all decided before the first fault)")
    lines += ["", "faults injected"]
    lines += [f"  {kind:<30}{report.faults.get(kind, 0):>8}" for kind in FAULT_KINDS]
    lines.append(f"  {'(llm, unused at end)':<30}{report.llm_faults_unused:>8}")
    lines += ["", "reviewer actions"]
    lines += [f"  {name:<52}{count:>8}" for name, count in report.reviews.items()]
    problems = report.mismatches
    lines += ["", f"result: {'OK' if not problems else 'MISMATCH'} ({len(problems)} mismatches)"]
    lines += [f"  - {problem}" for problem in problems[:50]]
    return "\n".join(lines)
