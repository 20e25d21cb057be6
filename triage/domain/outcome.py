"""What a triage workflow shows and returns, computed from its state.

Pure functions, so the workflow only orchestrates: the summary the Web UI
shows as the workflow's current details, the article its reply answered with,
the reviewer's category correction, the result the workflow returns (which
is where ``triage corrections export`` and retraining read corrections from)
and the verdict it reports toward the answer's autonomy.
"""

from __future__ import annotations

from collections.abc import Sequence

from triage.domain.autonomy import VerdictReport, verdict_for
from triage.domain.inbound import markdown_text
from triage.domain.models import (
    Correction,
    KbAnswer,
    KbCitation,
    ReviewAction,
    TriageResult,
    TriageState,
    TriageStatus,
)


def reasons_line(reasons: Sequence[str]) -> str:
    """``main reason; also: other; other``: the cause first, what follows from it after."""
    if not reasons:
        return ""
    return reasons[0] + ("; also: " + "; ".join(reasons[1:]) if len(reasons) > 1 else "")


def review_summary(status: TriageStatus, state: TriageState) -> str:
    """Markdown shown as the workflow's current details in the Web UI.

    Subject, sender, reasons and reviewer are text from outside: escaped, so a
    ``[link](http://…)`` in a subject is shown, not made clickable.
    """
    subject = markdown_text(state.message.subject) or "(no subject)"
    lines = [f"**{status.value}** — {subject}", f"from {markdown_text(state.message.from_address)}"]
    if state.classification:
        c = state.classification
        lines.append(f"category `{c.category.value}` at {c.confidence:.0%}")
    if state.policy_decision and state.policy_decision.reasons:
        lines.append("review because: " + markdown_text(reasons_line(state.policy_decision.reasons), 1000))
    if state.decisions:
        last = state.decisions[-1]
        lines.append(
            f"last decision: {last.decision.action.value} by {markdown_text(last.decision.reviewer)}"
        )
    return "\n\n".join(lines)


def article_of(answer: KbAnswer | None, citations: Sequence[KbCitation]) -> str | None:
    """The article a reply answers with: the matched declared question's, else the first cited."""
    if answer is not None:
        return answer.article_id
    return citations[0].article_id if citations else None


def answering_article(state: TriageState) -> str | None:
    decision = state.policy_decision
    return article_of(decision.answer if decision else None, state.citations)


def correction_of(state: TriageState, reviewer: str | None) -> Correction | None:
    classification = state.classification
    if state.corrected_category is None or classification is None:
        return None
    message = state.message
    return Correction(
        workflow_id=state.workflow_id,
        subject=message.subject,
        body=message.plain_body,
        language=classification.language,
        predicted=classification.category,
        corrected=state.corrected_category,
        reviewer=reviewer or "",
        model_version=classification.model_version,
        sent_body=state.draft_body if state.sent_message_id else None,
    )


def triage_result(state: TriageState, status: TriageStatus) -> TriageResult:
    last = state.decisions[-1].decision.reviewer if state.decisions else None
    classification = state.classification
    decision = state.policy_decision
    return TriageResult(
        status=status,
        category=classification.category if classification else None,
        sent_message_id=state.sent_message_id,
        reviewer=last,
        inbox_id=state.message.inbox_id,
        article_id=answering_article(state),
        would_auto_send=decision.would_auto_send if decision else False,
        mode=decision.mode.mode if decision and decision.mode else None,
        sent_body=state.draft_body if state.sent_message_id else None,
        correction=correction_of(state, last),
        model_version=classification.model_version if classification else None,
    )


def verdict_report(state: TriageState, status: TriageStatus) -> VerdictReport | None:
    """How the humans judged a reply the policy would have sent, for its autonomy (None: nothing to count)."""
    decision = state.policy_decision
    classification = state.classification
    if decision is None or not decision.would_auto_send or decision.mode is None or classification is None:
        return None
    actions = {d.decision.action for d in state.decisions}
    verdict = verdict_for(
        status,
        state.revision,
        ReviewAction.REDRAFT in actions,
        state.corrected_category is not None,
        closed_by_reviewer=ReviewAction.CLOSE in actions,
    )
    if verdict is None:
        return None
    return VerdictReport(
        inbox_id=state.message.inbox_id,
        workflow_id=state.workflow_id,
        category=classification.category,
        article_id=answering_article(state),
        mode=decision.mode.mode,
        verdict=verdict,
        reviewer=state.decisions[-1].decision.reviewer if state.decisions else None,
    )
