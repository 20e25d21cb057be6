"""Which corrections file elsewhere what their nearest labelled rows agree on.

Each correction's text is placed among the labelled set's rows by meaning (the
multilingual encoder, cosine of normalised vectors). When enough of its nearest
rows are close and agree on one category, and the correction says another,
it contradicts the labelled set. One such correction is a judgement call; a
batch of them is a pattern being relabelled, which the gate leaves to a person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from triage.domain.models import Category, Correction, answer_label
from triage.domain.text import model_input
from triage.judging.gate import Contradictions
from triage.judging.training.evaluation import EvalRow

NEAREST = 5  # labelled rows looked at per correction
AGREEING = 4  # of them, close and of one category, for the labelled set to have a say
# Cosine under which a labelled row is not near: the encoder scores different requests on one
# topic 0.4-0.6 and unrelated text well under 0.3.
CLOSE = 0.4

Encode = Callable[[Sequence[str]], np.ndarray]  # texts -> L2-normalised rows


def contradictions(
    corrections: Sequence[Correction], labelled: Sequence[EvalRow], encode: Encode
) -> Contradictions:
    if not corrections or not labelled:
        return Contradictions(checked=len(corrections))
    rows = encode([model_input(r.subject, r.body) for r in labelled])
    asked = encode([model_input(c.subject, c.body) for c in corrections])
    similarity = asked @ rows.T
    # faq and general are one answer (answer_label): relabelling one as the other contradicts nothing.
    labels = [answer_label(Category(r.label)) for r in labelled]
    relabelled: dict[str, Counter[str]] = {}
    for correction, scores in zip(corrections, similarity, strict=True):
        nearest = np.argsort(-scores, kind="stable")[:NEAREST]
        votes = Counter(labels[i] for i in nearest if scores[i] >= CLOSE)
        if not votes:
            continue
        said, agreeing = votes.most_common(1)[0]
        corrected = answer_label(correction.corrected)
        if agreeing >= AGREEING and said != corrected:
            relabelled.setdefault(said, Counter())[corrected] += 1
    return Contradictions(
        checked=len(corrections),
        relabelled={said: dict(to) for said, to in relabelled.items()},
    )
