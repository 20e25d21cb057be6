"""``triage eval``: classification quality and the send policy on labelled mail.

No mail, no Temporal: the provider classifies, the KB says whether a reply
would be grounded, and ``policy.decide`` says whether it would go out. The
figure that matters most is the unsafe auto-send rate: the share of
non-routine messages the policy would have answered without a human.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from triage.kb import KnowledgeBase
from triage.llm.base import ProviderOutputError, TriageProvider
from triage.llm.guards import detect_guard_flags
from triage.llm.text import model_input
from triage.models import Category, Classification, GuardFlag, InboundMessage, PolicySettings
from triage.policy import decide

LABELS = ["billing", "bug", "feature_request", "general"]


class EvalRow(BaseModel):
    id: str
    subject: str = ""
    body: str = ""
    label: str


class ClassReport(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int


class ConfidenceBand(BaseModel):
    n: int
    accuracy: float


class EvalReport(BaseModel):
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassReport]
    confusion: dict[str, dict[str, int]] = Field(description="confusion[true][predicted]")
    auto_send_rate: float
    unsafe_auto_send_rate: float
    routine_coverage: float
    calibration: dict[str, ConfidenceBand] = Field(description="by confidence band: how often right")


def load_eval_file(path: Path) -> list[EvalRow]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(EvalRow.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not an eval row: {exc}") from None
    return rows


def as_label(category: Category) -> str:
    return "general" if category is Category.FAQ else category.value


async def _classify(provider: TriageProvider, row: EvalRow) -> Classification:
    message = InboundMessage(
        message_id=row.id, inbox_id="eval", from_address="customer@example.org",
        subject=row.subject, plain_body=row.body, body_chars=len(row.body),
    )
    try:
        result = await provider.classify(message)
    except ProviderOutputError:
        return Classification(category=Category.GENERAL, confidence=0.0, guard_flags=[GuardFlag.INVALID_OUTPUT])
    flags = sorted({*result.guard_flags, *detect_guard_flags(row.subject, row.body)})
    return result.model_copy(update={"guard_flags": flags})


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


async def evaluate(
    rows: list[EvalRow],
    provider: TriageProvider,
    policy: PolicySettings,
    kb: KnowledgeBase,
    progress: Callable[[], None] | None = None,
    concurrency: int = 8,
) -> EvalReport:
    slots = asyncio.Semaphore(concurrency)

    async def one(row: EvalRow) -> tuple[str, bool, float]:
        async with slots:
            classification = await _classify(provider, row)
        grounded = kb.supported(model_input(row.subject, row.body), classification.category.value)
        if progress:
            progress()
        sent = decide(classification, grounded, policy).auto_send
        return as_label(classification.category), sent, classification.confidence

    results = await asyncio.gather(*(one(r) for r in rows))
    confusion = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    bands: dict[str, list[bool]] = {}
    for row, (predicted, _, confidence) in zip(rows, results, strict=True):
        confusion[row.label][predicted] += 1
        bands.setdefault(_band(confidence), []).append(predicted == row.label)
    per_class = {}
    for label in LABELS:
        tp = confusion[label][label]
        predicted = sum(confusion[t][label] for t in LABELS)
        actual = sum(confusion[label].values())
        p, r = _ratio(tp, predicted), _ratio(tp, actual)
        per_class[label] = ClassReport(precision=p, recall=r, f1=_ratio(2 * p * r, 1) / (p + r) if p + r else 0.0, support=actual)
    sent = [s for _, s, _ in results]
    routine = [s for row, (_, s, _) in zip(rows, results, strict=True) if row.label == "general"]
    risky = [s for row, (_, s, _) in zip(rows, results, strict=True) if row.label != "general"]
    return EvalReport(
        n=len(rows),
        accuracy=_ratio(sum(confusion[t][t] for t in LABELS), len(rows)),
        macro_f1=sum(c.f1 for c in per_class.values()) / len(LABELS),
        per_class=per_class,
        confusion=confusion,
        auto_send_rate=_ratio(sum(sent), len(sent)),
        unsafe_auto_send_rate=_ratio(sum(risky), len(risky)),
        routine_coverage=_ratio(sum(routine), len(routine)),
        calibration={
            band: ConfidenceBand(n=len(hits), accuracy=_ratio(sum(hits), len(hits)))
            for band, hits in sorted(bands.items())
        },
    )


def _band(confidence: float) -> str:
    """Tenths, the last one closed: "0.8-0.9", "0.9-1.0"."""
    low = min(int(confidence * 10), 9) / 10
    return f"{low:.1f}-{low + 0.1:.1f}"


def render_report(report: EvalReport, console: Console) -> None:
    summary = Table("metric", "value", title=f"triage eval ({report.n} messages)")
    for name in ("accuracy", "macro_f1", "auto_send_rate", "unsafe_auto_send_rate", "routine_coverage"):
        summary.add_row(name, f"{getattr(report, name):.3f}")
    console.print(summary)
    classes = Table("class", "precision", "recall", "f1", "support")
    for label, c in report.per_class.items():
        classes.add_row(label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support))
    console.print(classes)
    bands = Table("confidence", "messages", "right", title="calibration")
    for band, figures in report.calibration.items():
        bands.add_row(band, str(figures.n), f"{figures.accuracy:.2f}")
    console.print(bands)
    matrix = Table("true \\ predicted", *LABELS)
    for label in LABELS:
        matrix.add_row(label, *(str(report.confusion[label][p]) for p in LABELS))
    console.print(matrix)


def run_eval_command(path: Path, provider_name: str, as_json: bool) -> int:
    from triage.config import get_settings
    from triage.llm.factory import build_provider

    settings = get_settings()
    console = Console(stderr=as_json)
    rows = load_eval_file(path)
    provider = build_provider(settings, provider_name)
    kb = KnowledgeBase.load(settings.kb_dir)

    async def main() -> EvalReport:
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("classifying", total=len(rows))
                return await evaluate(rows, provider, settings.policy_settings(), kb, lambda: bar.advance(task))
        finally:
            await provider.aclose()

    report = asyncio.run(main())
    render_report(report, console)
    if as_json:
        keys = ("accuracy", "macro_f1", "auto_send_rate", "unsafe_auto_send_rate", "routine_coverage", "n", "confusion")
        print(json.dumps({k: getattr(report, k) for k in keys}))
    return 0
