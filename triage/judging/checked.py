"""Classification with every check: the one step the classify activity and
``triage eval`` share, so that what is measured is what runs.

The provider's verdict is joined by the provider-independent checks (guard
flags, the customer's situation, the sender's address, what the customer is
doing: the learned act of ``triage.judging.acts`` joined with the phrase tables
by ``triage.judging.act_verdict``, the stricter verdict winning); output the model
cannot be trusted with becomes a review-only classification rather than a
retry, because the safe answer to doubt is a human.
"""

from __future__ import annotations

from triage.domain.inbound import address_flags
from triage.domain.models import Classification, GuardFlag, InboundMessage
from triage.domain.text import normalize_body
from triage.judging.act_verdict import NOT_CLOSING, ActVerdict, judge_act
from triage.judging.acts import read_act
from triage.judging.base import ProviderOutputError, TriageProvider
from triage.judging.closing import awaits_reply, is_closing
from triage.judging.guards import inspect_message
from triage.judging.situation import read_situation, strip_reply_prefix


def judge_message_act(message: InboundMessage, phrase_flags: list[GuardFlag]) -> ActVerdict:
    """What the customer is doing, learned and read from phrases, joined."""
    subject, body = message.subject, message.plain_body
    findings = read_situation(subject, body)
    return judge_act(
        read_act(subject, body),
        findings,
        phrase_flags,
        is_closing(subject, body),
        topic_flags=reply_topic_flags(subject, body, {*phrase_flags, *(f.flag for f in findings)}),
        asked_in_subject=asks_in_subject(subject),
    )


def asks_in_subject(subject: str) -> bool:
    """A new message whose subject is a question (a reply's subject is the thread's topic)."""
    topic = (subject or "").strip()
    return strip_reply_prefix(topic) == topic and (topic.endswith("?") or "¿" in topic)


def reply_topic_flags(subject: str, body: str, raised: set[GuardFlag]) -> frozenset[GuardFlag]:
    """The flags only the subject of a reply raises: "Re: Account locked" names the thread's
    topic, not news ("Back in after the 30 minutes, thanks!" closes it). Nothing for a new
    message, or a reply with no words of its own (its subject is then what it says)."""
    if not raised & NOT_CLOSING or strip_reply_prefix(subject) == (subject or ""):
        return frozenset()  # (nothing that could keep it from closing: no second reading)
    if not normalize_body(body or "").strip():
        return frozenset()
    # (the body's own flags include its situation's)
    return frozenset(raised - set(inspect_message("", body).flags))


async def classify_checked(provider: TriageProvider, message: InboundMessage) -> Classification:
    inspection = inspect_message(message.subject, message.plain_body, message.body_chars)
    verdict = judge_message_act(message, inspection.flags)
    checks = [*inspection.flags, *verdict.flags, *address_flags(message)]
    awaiting = verdict.closing and awaits_reply(message.plain_body)
    evidence = [*inspection.evidence, *verdict.evidence, *filter(None, [message.authentication_problem])]
    try:
        result = await provider.classify(message)
    except ProviderOutputError as err:
        return Classification.for_review(
            f"classifier output unusable: {err}",
            [*checks, GuardFlag.INVALID_OUTPUT],
            evidence=evidence,
            closing=verdict.closing,
            awaits_reply=awaiting,
            act=verdict.act,
        )
    return result.model_copy(
        update={
            "guard_flags": sorted({*result.guard_flags, *checks}),
            "evidence": list(dict.fromkeys([*evidence, *result.evidence])),
            "closing": verdict.closing,
            "awaits_reply": awaiting,
            "act": verdict.act,
        }
    )
