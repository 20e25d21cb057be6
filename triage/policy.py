"""The send policy: when may a drafted reply go out without a human?

A pure function so it can be table-tested and replayed: a wrong auto-send
(a billing dispute answered by a bot) is the failure users fear most, so every
condition must hold, and any doubt sends the message to review.
"""

from __future__ import annotations

from triage.models import Classification, PolicyDecision, PolicySettings


def decide(
    classification: Classification, grounded: bool, settings: PolicySettings
) -> PolicyDecision:
    reasons: list[str] = []
    category = classification.category
    if category not in settings.auto_send_categories:
        reasons.append(f"category {category.value} always goes to review")
    if classification.confidence < settings.confidence_threshold:
        reasons.append(
            f"confidence {classification.confidence:.2f} is below "
            f"the threshold {settings.confidence_threshold:.2f}"
        )
    if settings.require_kb_support and not grounded:
        reasons.append("no knowledge-base article supports the reply")
    blocking = [f for f in classification.guard_flags if f not in settings.ignored_flags]
    if blocking:
        reasons.append("guard flags: " + ", ".join(sorted(f.value for f in set(blocking))))
    return PolicyDecision(auto_send=not reasons, reasons=reasons)
