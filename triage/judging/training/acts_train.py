"""Fit and write the act classifier that ships with the package.

    python -m triage.judging.training.acts_train [--output PATH]

Deterministic: the same table gives the same model (the encoder is plain
numpy, the regression's solver has no randomness, the augmentation is
seeded). Each written row is also read wrapped as an email would carry it (a
greeting and a sign-off in its language) and, for every act but a closing,
after a thank-you ("Thanks for the reply. It still fails" still reports):
copies of one row stay in one fold. Prints the cross-validated figures per
act and per language (``triage.judging.training.act_figures`` measures any table).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from triage.domain.models import Category, MessageAct
from triage.judging.acts import (
    CATEGORY_DATA_AS_ACTS,
    PER_CATEGORY_FILE,
    WHOLE_CHARS,
    ActExample,
    ActModel,
    act_sentences,
    act_text,
    category_data,
    features,
    fingerprint,
    load_table,
    packaged_artifact,
    tuning_table,
)
from triage.judging.training.training_data import Example

REGULARISATION = 4.0
SEED = 11
FOLDS = 5

GREETINGS = {
    "en": ["Hi,", "Hello team,", "Hey,", "Good morning,"],
    "de": ["Hallo,", "Guten Tag,", "Hallo zusammen,"],
    "fr": ["Bonjour,", "Bonjour à l'équipe,", "Salut,"],
    "es": ["Hola,", "Buenos días,", "Hola equipo,"],
}
SIGN_OFFS = {
    "en": ["Best,\nSam", "Regards, Alex", "Thanks", "Cheers\nPriya", "Kind regards,\nJordan Lee"],
    "de": ["Viele Grüße\nJonas", "LG Anna", "Danke", "Mit freundlichen Grüßen\nK. Weber"],
    "fr": ["Cordialement,\nClaire", "Bonne journée", "Merci", "Bien à vous,\nMarc"],
    "es": ["Saludos,\nLucía", "Un saludo", "Gracias", "Atentamente,\nJavier"],
}
THANKS_FIRST = {
    "en": ["Thanks for the reply.", "Thank you for getting back to me.", "Thanks!"],
    "de": ["Danke für die Antwort.", "Vielen Dank für Ihre Rückmeldung.", "Danke!"],
    "fr": ["Merci pour la réponse.", "Merci de votre retour.", "Merci !"],
    "es": ["Gracias por la respuesta.", "Gracias por contestar.", "¡Gracias!"],
}


class Rows(NamedTuple):
    texts: list[str]
    acts: list[str]
    groups: list[int]  # the written row a text comes from
    langs: list[str]


def augmented(examples: list[ActExample], seed: int = SEED) -> Rows:
    rng = random.Random(seed)
    rows = Rows([], [], [], [])
    for number, example in enumerate(examples):
        texts = [example.text]
        lang = example.lang
        if lang in GREETINGS:
            texts.append(f"{rng.choice(GREETINGS[lang])}\n\n{example.text}\n\n{rng.choice(SIGN_OFFS[lang])}")
            if example.act is not MessageAct.CLOSES:
                texts.append(f"{rng.choice(THANKS_FIRST[lang])} {example.text}")
        for text in texts:
            rows.texts.append(text)
            rows.acts.append(example.act.value)
            rows.groups.append(number)
            rows.langs.append(lang)
    return rows


def borrowed_rows() -> list[ActExample]:
    """Long mail and issues from the category data, read as acts (``CATEGORY_DATA_AS_ACTS``)."""
    rows: list[ActExample] = []
    for file in category_data():
        acts = CATEGORY_DATA_AS_ACTS[file.name]
        taken: dict[Category, int] = {}
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            example = Example.model_validate_json(line)
            label = example.label
            if label in acts and taken.get(label, 0) < PER_CATEGORY_FILE:
                taken[label] = taken.get(label, 0) + 1
                rows.append(ActExample(text=example.text, act=acts[label], lang="borrowed"))
    return rows


def embed(texts: list[str]) -> np.ndarray:
    """The classifier's feature rows for ``texts`` (as ``read_act`` builds them)."""
    from triage.judging.encoder import encoder

    texts = [act_text("", text) for text in texts]  # what read_act reads: no signature block, no quotes
    split = [act_sentences(text) for text in texts]
    vectors = encoder().encode(
        [*(text[:WHOLE_CHARS] for text in texts), *(s for parts in split for s in parts)]
    )
    rows, at = [], len(texts)
    for i, parts in enumerate(split):
        rows.append(features(vectors[i], vectors[at : at + len(parts)]))
        at += len(parts)
    return np.vstack(rows)


def fit(rows: np.ndarray, acts: list[str], data_id: str = "") -> ActModel:
    model = LogisticRegression(C=REGULARISATION, max_iter=5000, class_weight="balanced")
    model.fit(rows, acts)
    return ActModel(
        coef=model.coef_,
        intercept=model.intercept_,
        acts=tuple(MessageAct(a) for a in model.classes_),
        fingerprint=data_id,
    )


def cross_validated(rows: np.ndarray, data: Rows) -> list[str]:
    """Each written row's prediction by a model that never saw it (its first, unwrapped text)."""
    predicted = [""] * len(data.texts)
    splitter = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    for train, held in splitter.split(rows, data.acts, groups=data.groups):
        model = fit(rows[train], [data.acts[i] for i in train])
        best = model.probabilities(rows[held]).argmax(axis=1)
        for i, b in zip(held, best, strict=True):
            predicted[i] = model.acts[b].value
    return predicted


def language_left_out(rows: np.ndarray, data: Rows, written: list[int]) -> dict[str, float]:
    """Per language of the table: accuracy of a model that saw no row of that language (as written).

    Stricter than the folds, where a row's translation may be in training."""
    result = {}
    for lang in sorted({data.langs[i] for i in written}):
        train = [i for i, g in enumerate(data.langs) if g != lang]
        held = [i for i in written if data.langs[i] == lang]
        model = fit(rows[train], [data.acts[i] for i in train])
        best = model.probabilities(rows[held]).argmax(axis=1)
        result[lang] = round(
            float(np.mean([model.acts[b].value == data.acts[i] for i, b in zip(held, best, strict=True)])), 3
        )
    return result


def figures(truth: list[str], predicted: list[str], langs: list[str]) -> dict[str, Any]:
    per_act = {}
    for act in MessageAct:
        tp = sum(t == p == act for t, p in zip(truth, predicted, strict=True))
        support = truth.count(act.value)
        said = predicted.count(act.value)
        per_act[act.value] = {
            "n": support,
            "recall": round(tp / support, 3) if support else None,
            "precision": round(tp / said, 3) if said else None,
        }
    per_lang = {}
    for lang in sorted(set(langs)):
        pairs = [(t, p) for t, p, g in zip(truth, predicted, langs, strict=True) if g == lang]
        per_lang[lang] = {"n": len(pairs), "accuracy": round(sum(t == p for t, p in pairs) / len(pairs), 3)}
    accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
    return {"accuracy": round(accuracy, 3), "per_act": per_act, "per_language": per_lang}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=packaged_artifact())
    args = parser.parse_args()
    examples = load_table(tuning_table())
    data = augmented([*examples, *borrowed_rows()])
    rows = embed(data.texts)
    predicted = cross_validated(rows, data)
    # The act table's rows as written (not the borrowed ones, not the wrapped copies).
    written = [
        i for i, g in enumerate(data.groups) if g < len(examples) and (i == 0 or data.groups[i - 1] != g)
    ]
    model = fit(rows, data.acts, data_id=fingerprint())
    model.save(args.output)
    report = {
        "examples": len(examples),
        "borrowed": len(set(data.groups)) - len(examples),
        "rows": len(data.texts),
        "cross_validated_as_written": figures(
            [data.acts[i] for i in written], [predicted[i] for i in written], [data.langs[i] for i in written]
        ),
        "cross_validated_all_rows": figures(data.acts, predicted, data.langs)["accuracy"],
        "language_left_out_accuracy": language_left_out(rows, data, written),
        "artifact_bytes": args.output.stat().st_size,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
