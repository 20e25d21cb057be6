"""What the triage workflow's send decision reads, gathered before it is taken.

The decision itself is one call of ``triage.domain.policy.decide`` on these inputs.
Some inputs cost a lookup (the autonomy mode) or a reservation (the sender's
quota): each is gathered only while the reply could still go out, which is
what ``could_send`` answers on the inputs gathered so far.
"""

from __future__ import annotations

from temporalio import workflow

from workflows import gates, versions

with workflow.unsafe.imports_passed_through():
    from triage.domain.models import (
        Classification,
        DraftReply,
        MessageContext,
        ModeInForce,
        PolicyDecision,
        PolicySettings,
    )
    from triage.domain.policy import decide


def policy_in_force(policy: PolicySettings) -> PolicySettings:
    """The settings as the policy read them when the workflow started (both gates are always asked, in order)."""
    if not (gates.lean() or workflow.patched(versions.ANSWER_AND_LANGUAGE_CHECKS)):
        # Started before answerability and language checks: decide as it did then.
        policy = policy.model_copy(update={"answer_threshold": None, "checked_languages": None})
    if not (gates.lean() or workflow.patched(versions.ANSWERED_HOW_TO_IS_ROUTINE)):
        # Started before an answered how-to was routine whatever its category: decide as then.
        policy = policy.model_copy(update={"how_to_confidence_threshold": None})
    return policy


class SendInputs:
    # A plain class: the sandbox defines this module afresh for every run, and a dataclass
    # costs about a millisecond to define.
    def __init__(
        self,
        classification: Classification,
        reply: DraftReply,
        policy: PolicySettings,
        context: MessageContext | None,
    ) -> None:
        self.classification = classification
        self.reply = reply
        self.policy = policy  # as in force when the workflow started (version gates applied)
        self.context = context  # the conversation and the sender's quota (None: before conversations)
        self.mode: ModeInForce | None = None  # the autonomy mode in force for the answer (earned autonomy)

    def decide(self) -> PolicyDecision:
        return decide(self.classification, self.reply, self.policy, self.context, self.mode)

    def could_send(self) -> bool:
        """On what is gathered so far, would the reply go out? Only then is the next lookup worth making."""
        return self.decide().auto_send
