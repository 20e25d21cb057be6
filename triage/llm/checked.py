"""Classification with every check: the one step the classify activity and
``triage eval`` share, so that what is measured is what runs.

The provider's verdict is joined by the provider-independent checks (guard
flags, the customer's situation, the sender's address, whether the message is
only a thank-you); output the model
cannot be trusted with becomes a review-only classification rather than a
retry, because the safe answer to doubt is a human.
"""

from __future__ import annotations

from triage.inbound import address_flags
from triage.llm.base import ProviderOutputError, TriageProvider
from triage.llm.closing import is_closing
from triage.llm.guards import inspect_message
from triage.models import Classification, GuardFlag, InboundMessage


async def classify_checked(provider: TriageProvider, message: InboundMessage) -> Classification:
    inspection = inspect_message(message.subject, message.plain_body, message.body_chars)
    checks = [*inspection.flags, *address_flags(message)]
    evidence = [*inspection.evidence, *filter(None, [message.authentication_problem])]
    closing = is_closing(message.subject, message.plain_body)
    try:
        result = await provider.classify(message)
    except ProviderOutputError as err:
        return Classification.for_review(
            f"classifier output unusable: {err}",
            [*checks, GuardFlag.INVALID_OUTPUT],
            evidence=evidence,
            closing=closing,
        )
    return result.model_copy(
        update={
            "guard_flags": sorted({*result.guard_flags, *checks}),
            "evidence": list(dict.fromkeys([*evidence, *result.evidence])),
            "closing": closing,
        }
    )
