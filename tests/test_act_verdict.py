"""The join of the learned act and the phrase tables (``judge_act``), on readings made by hand."""

from __future__ import annotations

import numpy as np
import pytest

from triage.domain.models import GuardFlag, MessageAct
from triage.judging.act_verdict import judge_act
from triage.judging.acts import ActReading
from triage.judging.situation import Finding, Situation

ACTS = list(MessageAct)
CLOSE, REPORT, DISPUTE, WITHDRAW, CHANGE = (
    MessageAct.CLOSES,
    MessageAct.REPORTS_PROBLEM,
    MessageAct.DISPUTES_CHARGE,
    MessageAct.WITHDRAWS,
    MessageAct.CHANGES_REQUEST,
)
FAILURE = Finding(Situation.FAILURE, "is wrong")
WITHDRAWAL = Finding(Situation.WITHDRAWAL, "never mind")


def reading(whole: dict[MessageAct, float], *sentences: tuple[str, dict[MessageAct, float]]) -> ActReading:
    def row(probabilities: dict[MessageAct, float]) -> list[float]:
        rest = (1 - sum(probabilities.values())) / (len(ACTS) - len(probabilities))
        return [probabilities.get(act, rest) for act in ACTS]

    probabilities = dict(zip(ACTS, row(whole), strict=True))
    return ActReading(
        act=max(probabilities, key=probabilities.__getitem__),
        probabilities=probabilities,
        sentences=[text for text, _ in sentences],
        sentence_probabilities=np.array([row(p) for _, p in sentences]).reshape(len(sentences), len(ACTS)),
    )


THANKS = ("Thanks, the new seats show up.", {CLOSE: 0.9})
CASES = [
    # reading, phrase findings, phrase flags, phrase closing -> closing, act
    (reading({CLOSE: 0.9}, THANKS), [], [], False, True, CLOSE),
    # news read alone leans to a report, below the bar: still a closing
    (
        reading({CLOSE: 0.8}, ("The update fixed the crash.", {REPORT: 0.6}), THANKS),
        [],
        [],
        False,
        True,
        CLOSE,
    ),
    # a sentence that reports, asks or changes something: no closing, however the whole reads
    (reading({CLOSE: 0.8}, THANKS, ("The invoice lists five.", {REPORT: 0.8})), [], [], False, False, CLOSE),
    (reading({CLOSE: 0.8}, THANKS, ("Can I add more?", {CLOSE: 0.6})), [], [], False, False, CLOSE),
    (reading({CLOSE: 0.8}, THANKS, ("Make it yearly.", {CHANGE: 0.75})), [], [], False, False, CLOSE),
    # a phrase report is never overruled, and the act follows it
    (reading({CLOSE: 0.9}, THANKS), [FAILURE], [GuardFlag.PROBLEM_REPORT], False, False, REPORT),
    (reading({WITHDRAW: 0.6, DISPUTE: 0.3}, THANKS), [FAILURE], [], False, False, DISPUTE),
    # a closing likelier than any act, and with the withdrawal that it is confused with, sure that
    # nothing is asked: a closing ("no further questions" reads half as a question taken back)
    (reading({CLOSE: 0.44, WITHDRAW: 0.42}, THANKS), [], [], False, True, CLOSE),
    (reading({CLOSE: 0.44, REPORT: 0.42}, THANKS), [], [], False, False, CLOSE),
    (reading({CLOSE: 0.3, WITHDRAW: 0.1, CHANGE: 0.25}, THANKS), [], [], False, False, CLOSE),
    # ... but a three-way tie is no closing: the closing must lead by itself too
    (reading({CLOSE: 0.35, WITHDRAW: 0.33, REPORT: 0.26}, THANKS), [], [], False, False, CLOSE),
    (reading({WITHDRAW: 0.5, CLOSE: 0.45}, THANKS), [], [], False, False, WITHDRAW),
    # the withdrawal phrases and a learned closing: neither needs an answer
    (reading({CLOSE: 0.9}, THANKS), [WITHDRAWAL], [GuardFlag.WITHDRAWN], False, True, CLOSE),
    # ... only when the model is sure of the closing by itself: split, the withdrawal phrase stands
    (
        reading({CLOSE: 0.49, WITHDRAW: 0.48}, THANKS),
        [WITHDRAWAL],
        [GuardFlag.WITHDRAWN],
        False,
        False,
        CLOSE,
    ),
    # ... but a learned withdrawal raises its own flag
    (reading({WITHDRAW: 0.7}, THANKS), [WITHDRAWAL], [GuardFlag.WITHDRAWN], True, False, WITHDRAW),
    # "never mind" in a report: the report wins the act only when no withdrawal phrase is there
    (reading({WITHDRAW: 0.7}, THANKS), [FAILURE, WITHDRAWAL], [], False, False, WITHDRAW),
    # a change that the phrase tables read as a report reports; a question keeps its act
    (reading({MessageAct.ASKS_HOW: 0.8}, THANKS), [FAILURE], [], False, False, MessageAct.ASKS_HOW),
    (reading({CHANGE: 0.6, DISPUTE: 0.2}, THANKS), [FAILURE], [], False, False, DISPUTE),
    # the closing phrases hold only thanks: a learned question there is a misread greeting
    (reading({MessageAct.ASKS_HOW: 0.6}, THANKS), [], [], True, True, MessageAct.ASKS_HOW),
    # no words to read: the closing phrases decide, and a raised flag still stops them
    (None, [], [], True, True, CLOSE),
    (None, [], [], False, False, None),
    (None, [FAILURE], [GuardFlag.PROBLEM_REPORT], True, False, None),
]


@pytest.mark.parametrize(("read", "findings", "flags", "phrase_closing", "closing", "act"), CASES)
def test_the_stricter_verdict_wins(read, findings, flags, phrase_closing, closing, act):
    judged = judge_act(read, findings, flags, phrase_closing)
    assert (judged.closing, judged.act) == (closing, act)


TOPIC = (reading({CLOSE: 0.9}, THANKS), [FAILURE], [GuardFlag.PROBLEM_REPORT], False)


@pytest.mark.parametrize(
    ("topic_flags", "closing", "act"),
    [
        # "Re: Account locked" + "Back in, thanks!": the report is the thread's topic, not news
        (frozenset({GuardFlag.PROBLEM_REPORT}), True, CLOSE),
        # raised by the new text too: no closing, and the act follows the report
        (frozenset(), False, REPORT),
    ],
)
def test_a_replys_topic_does_not_keep_it_from_closing(topic_flags, closing, act):
    judged = judge_act(*TOPIC, topic_flags=topic_flags)
    assert (judged.closing, judged.act) == (closing, act)


@pytest.mark.parametrize("read", [reading({CLOSE: 0.9}, THANKS), None])
def test_a_question_in_a_new_messages_subject_is_no_closing(read):
    assert judge_act(read, [], [], True).closing
    assert not judge_act(read, [], [], True, asked_in_subject=True).closing
