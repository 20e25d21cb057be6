"""The learned act and the phrase tables, joined: the stricter verdict wins.

A pure function of what the act classifier read (``triage.judging.acts``) and what
the phrase tables found (``triage.judging.situation``, ``triage.judging.closing``,
``triage.judging.guards``): the flags the learned act adds, with evidence for the
reviewer, and whether the message is a closing that needs no reply.

* Anything the learned act reads as a problem report, a dispute, a data
  request or a withdrawal raises the same flag a phrase would; a phrase is
  never overruled by the model (safety first).
* An instruction to the assistant anywhere in the text (the whole text or
  one sentence read alone) raises ``prompt_injection``, with that sentence.
* The act follows the stricter reading too: a learned closing, withdrawal
  or change that the phrase tables read as a report is the likelier report act.
* A closing needs the model or the closing phrases to read one, and nothing
  else to be raised: no report phrase, no learned report, no injection, no
  withdrawal; and, judged by sentence, nothing new: no question, no sentence
  that alone reads as a report, a dispute, a request or a change. "Thanks,
  but it still fails" never closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.domain.models import GuardFlag, MessageAct
from triage.judging.acts import ActReading
from triage.judging.situation import Finding

# A learned act raises its flag from this probability (of the whole text) on.
FLAG_AT = 0.5
# An instruction to the assistant is flagged when the whole text reads as one, or when one
# sentence does and the whole text leans that way: a false alarm costs a review, a miss can
# send what an attacker dictated. (A sentence alone is not enough: a line of a stack trace
# or a "Please advise" out of context can read as anything.)
INJECTION_AT = 0.5
INJECTION_SENTENCE_AT = 0.4
INJECTION_LEANS_AT = 0.1
# A closing needs the model to read a closing likelier than any other act, and this sure that
# nothing is asked (a closing or a withdrawal: the model confuses the two, "no further questions"
# reads as a question taken back, and neither needs an answer), or the closing phrases to read one.
CLOSING_AT = 0.5
NOTHING_ASKED = (MessageAct.CLOSES, MessageAct.WITHDRAWS)
# ... and the closing itself at least this sure: "the courier was rude, just wanted to let you
# know" read 0.35 closing, 0.33 withdrawal, 0.26 report, a three-way tie and no closing.
CLOSING_LEADS_AT = 0.4
# ... and no sentence, read alone, this sure that it does one of these (or a question mark). Read
# alone, the news in a thank-you ("the update fixed the crash") leans to a report; below this it is news.
SENTENCE_AT = 0.7
NEW_IN_A_SENTENCE = (
    MessageAct.REPORTS_PROBLEM,
    MessageAct.DISPUTES_CHARGE,
    MessageAct.DATA_REQUEST,
    MessageAct.CHANGES_REQUEST,
)
EVIDENCE_CHARS = 160

REPORT_ACTS = (MessageAct.REPORTS_PROBLEM, MessageAct.DISPUTES_CHARGE)
# (A question keeps its act: a phrase's report there is as often a feature request's "my eyes hurt".)
MILDER_THAN_A_REPORT = (MessageAct.CLOSES, MessageAct.WITHDRAWS, MessageAct.CHANGES_REQUEST)
FLAG_OF: dict[MessageAct, GuardFlag] = {
    MessageAct.REPORTS_PROBLEM: GuardFlag.PROBLEM_REPORT,
    MessageAct.DISPUTES_CHARGE: GuardFlag.PROBLEM_REPORT,
    MessageAct.DATA_REQUEST: GuardFlag.PRIVACY,
    MessageAct.WITHDRAWS: GuardFlag.WITHDRAWN,
}
DESCRIBED: dict[MessageAct, str] = {
    MessageAct.ASKS_HOW: "asks how to do something",
    MessageAct.REPORTS_PROBLEM: "reports a problem or a wrong outcome",
    MessageAct.DISPUTES_CHARGE: "disputes a charge",
    MessageAct.DATA_REQUEST: "makes a data-rights request",
    MessageAct.CLOSES: "closes the conversation",
    MessageAct.WITHDRAWS: "withdraws the question",
    MessageAct.CHANGES_REQUEST: "changes an earlier request",
    MessageAct.INSTRUCTS_ASSISTANT: "instructs the assistant",
}
# Flags that mean there is something to answer or to look at: never a closing.
NOT_CLOSING = frozenset(
    {
        GuardFlag.PROBLEM_REPORT,
        GuardFlag.PRIVACY,
        GuardFlag.SECURITY,
        GuardFlag.WITHDRAWN,
        GuardFlag.PROMPT_INJECTION,
        GuardFlag.LEGAL,
        GuardFlag.DATA_LOSS,
    }
)


def quoted(sentence: str) -> str:
    """A sentence of the customer's, on one line and bounded (the reviewer's page escapes it)."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in sentence).split())
    return line if len(line) <= EVIDENCE_CHARS else line[: EVIDENCE_CHARS - 1] + "…"


def says_more(reading: ActReading) -> bool:
    """A sentence that asks, or that read alone reports, disputes, requests or changes something:
    "Thanks, the seats show up now. The invoice still lists five." is no closing, however the
    whole text reads."""
    for number, sentence in enumerate(reading.sentences):
        if sentence.rstrip().endswith("?") or "¿" in sentence:
            return True
        for act in NEW_IN_A_SENTENCE:
            if reading.sentence_probabilities[number, list(reading.probabilities).index(act)] >= SENTENCE_AT:
                return True
    return False


@dataclass(frozen=True)
class ActVerdict:
    act: MessageAct | None
    closing: bool
    flags: list[GuardFlag] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def judge_act(
    reading: ActReading | None,
    findings: list[Finding],
    phrase_flags: list[GuardFlag],
    phrase_closing: bool,
    topic_flags: frozenset[GuardFlag] = frozenset(),
    asked_in_subject: bool = False,
) -> ActVerdict:
    """``topic_flags``: raised only by the subject of a reply (the thread's topic), which neither
    keeps the new text from closing nor makes its act a report. ``asked_in_subject``: a new
    message's subject asks a question, so however its text reads, something is to be answered
    ("Does txcount count duplicates?" + "The two numbers differ." is no closing)."""
    if reading is None:  # no words: an emoji alone is a closing when the closing phrases say so
        raised = {*phrase_flags, *(f.flag for f in findings)} - topic_flags
        closing = phrase_closing and not (raised & NOT_CLOSING) and not asked_in_subject
        return ActVerdict(act=MessageAct.CLOSES if closing else None, closing=closing)
    flags: dict[GuardFlag, str] = {}
    for act, flag in FLAG_OF.items():
        probability = reading.probabilities[act]
        if probability >= FLAG_AT and flag not in flags:
            sentence, _ = reading.strongest(act)
            flags[flag] = f'{flag.value} (the text {DESCRIBED[act]}, {probability:.2f}: "{quoted(sentence)}")'
    sentence, in_sentence = reading.strongest(MessageAct.INSTRUCTS_ASSISTANT)
    whole = reading.probabilities[MessageAct.INSTRUCTS_ASSISTANT]
    instructs = whole >= INJECTION_AT or (
        in_sentence >= INJECTION_SENTENCE_AT and whole >= INJECTION_LEANS_AT
    )
    if instructs or GuardFlag.PROMPT_INJECTION in phrase_flags:
        flags[GuardFlag.PROMPT_INJECTION] = (
            f'{GuardFlag.PROMPT_INJECTION.value} ({DESCRIBED[MessageAct.INSTRUCTS_ASSISTANT]}: "{quoted(sentence)}")'
        )
    raised = {*flags, *phrase_flags, *(f.flag for f in findings)}
    learned_closing = (
        reading.act is MessageAct.CLOSES
        and reading.probability >= CLOSING_LEADS_AT
        and sum(reading.probabilities[act] for act in NOTHING_ASKED) >= CLOSING_AT
        and not says_more(reading)
    )
    blocking = (raised - topic_flags) & NOT_CLOSING
    if learned_closing and reading.probability >= CLOSING_AT:
        # "C'est réglé, merci pour votre aide": the withdrawal phrases read a question taken back,
        # the model a thank-you. Neither needs an answer; a learned withdrawal raises its own flag.
        # (Not when the model is split between the two: "Thanks anyway, I found it" withdraws.)
        blocking -= {GuardFlag.WITHDRAWN} - set(flags)
    # The closing phrases hold only thanks, acknowledgements and sign-offs: a learned question or
    # change there is a greeting misread ("Merci, bonne soirée"); a learned report raised its flag.
    closing = (learned_closing or phrase_closing) and not blocking and not asked_in_subject
    return ActVerdict(
        act=stricter_act(reading, [f for f in findings if f.flag not in topic_flags]),
        closing=closing,
        flags=sorted(flags),
        evidence=list(flags.values()),
    )


def stricter_act(reading: ActReading, findings: list[Finding]) -> MessageAct:
    """The learned act, unless the phrase tables read a report where the model read something
    that lets the message go or changes it (a closing, a withdrawal, a change): then the likelier
    report act ("Le bouton Annuler ne fait rien" withdraws nothing). A withdrawal phrase beside
    the report leaves the model's act."""
    reported = any(f.flag is GuardFlag.PROBLEM_REPORT for f in findings) and not any(
        f.flag is GuardFlag.WITHDRAWN for f in findings
    )
    if not reported or reading.act not in MILDER_THAN_A_REPORT:
        return reading.act
    return max(REPORT_ACTS, key=reading.probabilities.__getitem__)
