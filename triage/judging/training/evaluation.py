"""``triage eval``: classification quality and the send policy on labelled mail.

No mail, no Temporal, but the workflow's own steps: the provider classifies
(with the same guard checks as the classify activity), drafts (which finds
the KB question the message asks), and ``policy.decide`` says whether the
reply would go out; a message read as a closing gets no reply and no human,
as in the workflow. The figure that matters most is the unsafe auto-send
rate: the share of non-routine messages the policy would have answered, or
closed with no reply, without a human. Rows that carry a ``source`` get figures per source, and
``--show-unsafe`` lists each unsafe send with why every gate let it through
(``triage.judging.training.evaluation_cli`` prints the report).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field
from temporalio.exceptions import ApplicationError

from triage.domain.models import (
    Category,
    Classification,
    DraftReply,
    DraftRequest,
    GuardFlag,
    InboundMessage,
    PolicyDecision,
    PolicySettings,
    answer_label,
)
from triage.domain.outcome import article_of
from triage.domain.policy import decide, how_to_answered
from triage.judging.base import ProviderOutputError, TriageProvider
from triage.judging.checked import classify_checked
from triage.judging.jsonl import read_rows

# The labels of the evaluation files: the categories, with faq counted as general
# (both are the "routine" answer a help centre gives).
ROUTINE_LABEL = Category.GENERAL.value


LABELS = list(dict.fromkeys(answer_label(category) for category in Category))


class EvalRow(BaseModel):
    id: str
    subject: str = ""
    body: str = ""
    label: str
    source: str | None = None
    # The answer key: the articles that answer the row ([]: none does); None, not keyed.
    answers: list[str] | None = None


class ClassReport(BaseModel):
    precision: float
    recall: float
    f1: float
    support: int
    auto_sent: int = 0  # rows of this (true) class the policy would send alone


class ConfidenceBand(BaseModel):
    n: int
    accuracy: float


class UnsafeSend(BaseModel):
    """A message the policy would have answered without a human and should not
    have: a non-routine one, or a keyed one answered with an article not in its key."""

    id: str
    source: str | None
    label: str
    predicted: str
    confidence: float
    article_id: str | None
    question: str | None
    score: float | None
    passed: list[str] = Field(description="why each gate let it through")
    expected: list[str] | None = Field(
        default=None, description="a wrong answer: the articles that answer it"
    )


class EvalReport(BaseModel):
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassReport]
    confusion: dict[str, dict[str, int]] = Field(description="confusion[true][predicted]")
    auto_send_rate: float
    unsafe_auto_send_rate: float
    unsafe_auto_sends: int = Field(
        description="non-routine rows answered automatically or closed with no reply (unsafe_closings)"
    )
    closed_no_reply: int = Field(default=0, description="rows read as a closing: no reply, no human")
    unsafe_closings: int = Field(default=0, description="non-routine rows closed with no reply")
    routine_coverage: float
    wrong_answers: int = Field(description="automatic replies to keyed rows citing an article not in the key")
    wrong_answer_rate: float = Field(description="wrong_answers / automatic replies to keyed rows")
    answer_coverage: float = Field(
        description="keyed rows with answers, answered automatically with a listed article"
    )
    calibration: dict[str, ConfidenceBand] = Field(description="by confidence band: how often right")
    per_source: dict[str, EvalReport] = Field(default_factory=dict)
    unsafe: list[UnsafeSend] = Field(default_factory=list)


class Verdict(BaseModel):
    row: EvalRow
    classification: Classification
    reply: DraftReply
    decision: PolicyDecision

    @property
    def predicted(self) -> str:
        return answer_label(self.classification.category)

    @property
    def article(self) -> str | None:
        """The article the reply answers with (as the workflow reads it)."""
        return article_of(self.decision.answer, self.reply.citations)

    @property
    def closed(self) -> bool:
        """Read as a closing: the workflow ends it with no reply, before any draft or review."""
        return self.classification.closing

    @property
    def sent(self) -> bool:
        return self.decision.auto_send and not self.closed

    @property
    def keyed_send(self) -> bool:
        return self.row.answers is not None and self.sent

    @property
    def wrong_answer(self) -> bool:
        return self.keyed_send and self.article not in (self.row.answers or [])

    @property
    def right_answer(self) -> bool:
        return self.keyed_send and not self.wrong_answer


def load_eval_file(path: Path) -> list[EvalRow]:
    return read_rows(path, EvalRow, str(path), "an eval row")


def _message(row: EvalRow) -> InboundMessage:
    return InboundMessage(
        message_id=row.id,
        inbox_id="eval",
        from_address="customer@example.org",
        reply_address="customer@example.org",
        subject=row.subject,
        plain_body=row.body,
        body_chars=len(row.body),
    )


async def judge(row: EvalRow, provider: TriageProvider, policy: PolicySettings) -> Verdict:
    message = _message(row)
    try:
        classification = await classify_checked(provider, message)
    except ApplicationError as err:
        # What the workflow does once Temporal's retries are spent: a human reads it. One slow
        # answer from a self-hosted server must not end a run of hundreds.
        classification = Classification.for_review(
            f"classification failed: {err}", [GuardFlag.CLASSIFIER_ERROR]
        )
    try:
        reply = await provider.draft(DraftRequest(message=message, classification=classification))
    except (ProviderOutputError, ApplicationError):
        reply = DraftReply(body="", grounded=False)
    return Verdict(
        row=row, classification=classification, reply=reply, decision=decide(classification, reply, policy)
    )


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _band(confidence: float) -> str:
    """Tenths, the last one closed: "0.8-0.9", "0.9-1.0"."""
    low = min(int(confidence * 10), 9) / 10
    return f"{low:.1f}-{low + 0.1:.1f}"


def _passed(verdict: Verdict, policy: PolicySettings) -> list[str]:
    c, answer = verdict.classification, verdict.decision.answer
    if verdict.closed:
        act = c.act.value if c.act else "the closing phrases"
        return [f"closed with no reply: read as a closing ({act})", *c.evidence]
    floor = (
        policy.how_to_confidence_threshold
    )  # a how-to an article answers passes on it (triage.domain.policy)
    how_to = floor is not None and how_to_answered(c, verdict.reply, policy) is None
    allowed = "an auto-send category" if c.category in policy.auto_send_categories else "let out for a how-to"
    gates = [
        f"category {c.category.value} is {allowed}",
        f"confidence {c.confidence:.2f} >= {floor:.2f} (asks how, an article answers it)"
        if how_to and floor is not None and c.confidence < policy.confidence_threshold
        else f"confidence {c.confidence:.2f} >= {policy.confidence_threshold:.2f}",
        f"language {c.language}",
        "no guard flag"
        if not c.guard_flags
        else "flags ignored: " + ", ".join(f.value for f in c.guard_flags),
    ]
    if answer is not None:
        gates.append(f'answers "{answer.question}" ({answer.article_id}) at {answer.score:.2f}')
    return gates


def report(verdicts: list[Verdict], policy: PolicySettings, by_source: bool = True) -> EvalReport:
    confusion = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    bands: dict[str, list[bool]] = {}
    for v in verdicts:
        confusion[v.row.label][v.predicted] += 1
        bands.setdefault(_band(v.classification.confidence), []).append(v.predicted == v.row.label)
    per_class = {}
    for label in LABELS:
        tp = confusion[label][label]
        predicted = sum(confusion[t][label] for t in LABELS)
        actual = sum(confusion[label].values())
        p, r = _ratio(tp, predicted), _ratio(tp, actual)
        per_class[label] = ClassReport(
            precision=p,
            recall=r,
            f1=2 * p * r / (p + r) if p + r else 0.0,
            support=actual,
            auto_sent=sum(v.sent for v in verdicts if v.row.label == label),
        )
    sent = [v.sent for v in verdicts]
    routine = [v.sent for v in verdicts if v.row.label == ROUTINE_LABEL]
    unsafe = [v for v in verdicts if v.row.label != ROUTINE_LABEL and (v.sent or v.closed)]
    keyed_sends = [v for v in verdicts if v.keyed_send]
    wrong = [v for v in keyed_sends if v.wrong_answer]
    answerable = [v for v in verdicts if v.row.answers]
    sources = sorted({v.row.source for v in verdicts if v.row.source}) if by_source else []
    present = [label for label in LABELS if per_class[label].support]
    return EvalReport(
        n=len(verdicts),
        accuracy=_ratio(sum(confusion[t][t] for t in LABELS), len(verdicts)),
        macro_f1=sum(per_class[label].f1 for label in present) / len(present) if present else 0.0,
        per_class=per_class,
        confusion=confusion,
        auto_send_rate=_ratio(sum(sent), len(sent)),
        unsafe_auto_send_rate=_ratio(len(unsafe), len(verdicts) - len(routine)),
        unsafe_auto_sends=len(unsafe),
        closed_no_reply=sum(v.closed for v in verdicts),
        unsafe_closings=sum(v.closed for v in unsafe),
        routine_coverage=_ratio(sum(routine), len(routine)),
        wrong_answers=len(wrong),
        wrong_answer_rate=_ratio(len(wrong), len(keyed_sends)),
        answer_coverage=_ratio(sum(v.right_answer for v in answerable), len(answerable)),
        calibration={
            band: ConfidenceBand(n=len(hits), accuracy=_ratio(sum(hits), len(hits)))
            for band, hits in sorted(bands.items())
        },
        per_source={
            source: report([v for v in verdicts if v.row.source == source], policy, by_source=False)
            for source in sources
        },
        unsafe=[
            UnsafeSend(
                id=v.row.id,
                source=v.row.source,
                label=v.row.label,
                predicted=v.predicted,
                confidence=v.classification.confidence,
                article_id=v.decision.answer.article_id if v.decision.answer else None,
                question=v.decision.answer.question if v.decision.answer else None,
                score=v.decision.answer.score if v.decision.answer else None,
                passed=_passed(v, policy),
                expected=v.row.answers if v.wrong_answer else None,
            )
            for v in [*unsafe, *wrong]
        ],
    )


async def evaluate(
    rows: list[EvalRow],
    provider: TriageProvider,
    policy: PolicySettings,
    progress: Callable[[], None] | None = None,
    concurrency: int = 8,
) -> EvalReport:
    slots = asyncio.Semaphore(concurrency)

    async def one(row: EvalRow) -> Verdict:
        async with slots:
            verdict = await judge(row, provider, policy)
        if progress:
            progress()
        return verdict

    return report(list(await asyncio.gather(*(one(r) for r in rows))), policy)
