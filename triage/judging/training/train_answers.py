"""Fit the answer acceptance model: ``python -m triage.judging.training.train_answers``.

Every example of ``triage/judging/data/answers.jsonl`` is a customer question
written for the shipped articles: a paraphrase of what an article answers
(``article`` set) or a near-miss that sounds close but is not answered
(``article`` null). Each is matched against the shipped knowledge base as a
message would be (``KnowledgeBase.closest``); the match is right when it finds
the example's article, and the model learns, from what the match looked like,
how likely that is. Deterministic: the same data give the same file, and
``tests/test_answer_matching.py`` checks the shipped file against the data.

``--report`` prints the model's calibration and its precision and coverage at
each threshold, measured by 5-fold cross-validation on the same examples.
"""

from __future__ import annotations

import argparse
import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from triage.judging.answer_data import AnswerExample, answer_data_file, load_answer_examples
from triage.judging.kb import KnowledgeBase
from triage.judging.kb_match import ACCEPTANCE_FILE, Acceptance

REGULARISATION = 1.0


def model_path() -> Path:
    return Path(str(resources.files("triage.judging").joinpath("model", ACCEPTANCE_FILE)))


def fingerprint() -> str:
    return hashlib.sha256(answer_data_file().read_bytes()).hexdigest()[:16]


def declared(kb: KnowledgeBase) -> list[AnswerExample]:
    """The questions the articles declare, as examples of their own article: each is
    matched with itself left out (short, keyword-like requests: "upgrade to pro")."""
    return [
        AnswerExample(text=q, lang=a.language, article=a.id, kind="paraphrase", near=a.id)
        for a in kb.articles
        for q in a.questions
    ]


def examples(kb: KnowledgeBase) -> list[AnswerExample]:
    """What the model is fitted on: the written examples and the declared questions."""
    return [*load_answer_examples(), *declared(kb)]


def matrix(kb: KnowledgeBase, examples: list[AnswerExample]) -> tuple[np.ndarray, np.ndarray]:
    """What each example's match looked like, and whether it found the right article."""
    features, right = [], []
    for example in examples:
        found = kb.closest("", example.text, leave_out=example.text)
        if found is None:
            continue  # names too little to be matched: never an answer
        article_id, match = found
        features.append(match.features)
        right.append(int(article_id == example.article))
    return np.array(features), np.array(right)


def fit(x: np.ndarray, y: np.ndarray) -> Acceptance:
    model = LogisticRegression(C=REGULARISATION, max_iter=5000).fit(x, y)
    return Acceptance(weights=tuple(float(w) for w in model.coef_[0]), bias=float(model.intercept_[0]))


def report(x: np.ndarray, y: np.ndarray) -> None:
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(
        LogisticRegression(C=REGULARISATION, max_iter=5000), x, y, cv=folds, method="predict_proba"
    )[:, 1]
    print(f"{len(y)} examples, {int(y.sum())} matched to their article")
    print("calibration (5-fold): band, n, predicted, observed")
    for low in np.arange(0.0, 1.0, 0.1):
        band = (p >= low) & (p < low + 0.1 + (1e-9 if low >= 0.9 else 0))
        if band.any():
            print(
                f"  {low:.1f}-{low + 0.1:.1f}  {int(band.sum()):4d}  {p[band].mean():.2f}  {y[band].mean():.2f}"
            )
    print("threshold: accepted share, wrong among accepted")
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        accepted = p >= threshold
        wrong = (accepted & (y == 0)).sum() / max(accepted.sum(), 1)
        print(f"  {threshold:.2f}  {accepted.mean():.3f}  {wrong:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="print cross-validated calibration")
    args = parser.parse_args()
    kb = KnowledgeBase.load()
    x, y = matrix(kb, examples(kb))
    if args.report:
        report(x, y)
    model_path().write_text(fit(x, y).to_json(data=fingerprint()) + "\n", encoding="utf-8")
    print(f"wrote {model_path()}")


if __name__ == "__main__":
    main()
