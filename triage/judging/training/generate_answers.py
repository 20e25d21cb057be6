"""Write the short requests: ``python -m triage.judging.training.generate_answers``.

The written examples (``answers.jsonl``) and the articles' declared questions are
mostly whole questions ("How do I change my plan?"). Customers also type terse
requests in their own words: "need help switching to the freemium account",
"eta of order 00912734 pls", "ich möchte mein abo kündigen". Matched against
whole questions only, such a request looks unlike everything the acceptance
was fitted on, and a right article is held back.

This writes that register from parts kept per article and language in
``triage/judging/data/answer_phrases.toml`` (what the customer wants to do,
what they call it, request wrappers, slot values), into
``triage/judging/data/answers-generated.jsonl``: paraphrases of their article
(matched as its questions at run time, and acceptance examples), and
near-misses with no article (a problem report about the same thing, a lookup
of the customer's own data, the same action in another company's product), and
half of all of them again in the rough register (a greeting, a sign-off, a
deadline, a slip: ``rough``), which the acceptance is fitted on and the index
leaves out. Each row names its ``template`` (article,
language and phrase): a row is measured with its whole template left out of
the index, and cross-validation keeps a template in one fold.

Deterministic: the same parts give the same file (``tests/test_answer_data.py``).
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from triage.judging.answer_data import (
    AnswerExample,
    answer_phrases,
    generated_data_file,
    load_answer_examples,
)
from triage.judging.kb_articles import load_articles

# Wrappers drawn per phrase: a verb phrase ("cancel my order") and a noun phrase
# ("order cancellation") each become this many requests, in English and elsewhere.
WRAPS = {"en": 2, "de": 1, "fr": 1, "es": 1}
# Share of requests written without articles ("change shipping address") or with a typo.
DROPPED_SHARE = 0.3
TYPO_SHARE = 0.2
# Share of requests also written in the rough register (``rough``): fitted on, not matched.
ROUGH_SHARE = 0.5
_DROPPABLE = {
    "en": {"the", "a", "an", "my"},
    "de": {"die", "der", "das", "ein", "eine", "einen", "meine", "meinen", "mein"},
    "fr": {"le", "la", "les", "un", "une", "mon", "ma", "mes"},
    "es": {"el", "la", "los", "las", "un", "una", "mi", "mis"},
}


def _typo(text: str, rng: random.Random) -> str:
    """Two neighbouring letters of one longer word swapped ("adress", "cancle")."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    j = rng.randrange(1, len(words[i]) - 2)
    w = words[i]
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _register(text: str, lang: str, rng: random.Random) -> str:
    """Lower case, no question mark; sometimes no articles, sometimes a typo."""
    text = text.lower().replace("?", "").strip()
    if rng.random() < DROPPED_SHARE:
        text = " ".join(w for w in text.split() if w not in _DROPPABLE[lang]) or text
    if rng.random() < TYPO_SHARE:
        text = _typo(text, rng)
    return text


def _slip(text: str, rng: random.Random) -> str:
    """A word glued to the next ("setting upthe") or a letter left out ("adress")."""
    words = text.split()
    if len(words) > 2 and rng.random() < 0.5:
        i = rng.randrange(len(words) - 1)
        return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    j = rng.randrange(1, len(words[i]) - 1)
    words[i] = words[i][:j] + words[i][j + 1 :]
    return " ".join(words)


def _rough(row: AnswerExample, register: dict[str, list[str]]) -> AnswerExample:
    """The same request in the rough register: a greeting or who writes before it, thanks,
    a sign-off or a deadline after it, sometimes a slip of the keyboard. Same article, same
    template (measured with its plain siblings left out)."""
    rng = random.Random(f"rough/{row.template}/{row.text}")
    text = row.text
    if rng.random() < 0.3:
        text = _slip(text, rng)
    opened = rng.random() < 0.6
    if opened:
        text = f"{rng.choice(register['open'])} {text}"
    if not opened or rng.random() < 0.6:
        text = f"{text} {rng.choice(register['close'])}"
    return row.model_copy(update={"text": text, "rough": True})


def _filled(phrase: str, slots: dict[str, list[str]], rng: random.Random) -> str:
    return phrase.format(**{name: rng.choice(values) for name, values in slots.items()})


def text_key(text: str) -> str:
    """What two phrasings that differ only in case and punctuation share."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def taken() -> frozenset[str]:
    """The keys of the written examples and the declared questions: a generated request
    that repeats one adds nothing (and would be measured against itself)."""
    declared = [q for article in load_articles() for q in article.questions]
    return frozenset(text_key(t) for t in [*declared, *(e.text for e in load_answer_examples())])


def _row(text: str, lang: str, article: str | None, near: str | None, template: str) -> AnswerExample:
    """A paraphrase of ``article``, or a near-miss (no article) written against ``near``."""
    kind = "paraphrase" if article is not None else "near_miss"
    return AnswerExample.model_validate(
        {"text": text, "lang": lang, "article": article, "kind": kind, "near": near, "template": template}
    )


def generate(parts: dict[str, Any], skip: frozenset[str] = frozenset()) -> list[AnswerExample]:
    slots, wrappers = parts["slots"], parts["wrappers"]
    rows: list[AnswerExample] = []
    for article, languages in parts["articles"].items():
        for lang, own in languages.items():
            rng = random.Random(f"{article}/{lang}")
            for shape in ("do", "about"):
                for n, phrase in enumerate(own[shape]):
                    template = f"{article}/{lang}/{shape}{n}"
                    for wrapper in rng.sample(wrappers[lang][shape], WRAPS[lang]):
                        text = _register(wrapper.format(_filled(phrase, slots, rng)), lang, rng)
                        rows.append(_row(text, lang, article, article, template))
            # The same thing, reported as broken: a near-miss (no article answers a failure).
            for n, phrase in enumerate(own["about"][:1]):
                wrapper = rng.choice(wrappers[lang]["report"])
                text = _register(wrapper.format(_filled(phrase, slots, rng)), lang, rng)
                rows.append(_row(text, lang, None, article, f"{article}/{lang}/report{n}"))
            # The same action in another company's product: a near-miss too.
            for n, phrase in enumerate(own["do"][:1]):
                wrapper = rng.choice(wrappers[lang]["elsewhere"])
                text = wrapper.format(
                    _filled(phrase, slots, rng), tool=rng.choice(parts["elsewhere"]["products"])
                )
                rows.append(
                    _row(_register(text, lang, rng), lang, None, article, f"{article}/{lang}/elsewhere{n}")
                )
    for lang, own in wrappers.items():
        rng = random.Random(f"lookup/{lang}")
        for n, question in enumerate(own["lookup"]):
            rows.append(_row(_register(question, lang, rng), lang, None, None, f"lookup/{lang}/{n}"))
    register = parts["register"]
    rough = [_rough(row, register[row.lang]) for row in rows if _drawn(row)]
    # One row per text (a text that two templates produce keeps the first), none in ``skip``.
    fresh = [row for row in [*rows, *rough] if text_key(row.text) not in skip]
    return list({row.text: row for row in reversed(fresh)}.values())[::-1]


def _drawn(row: AnswerExample) -> bool:
    return random.Random(f"drawn/{row.template}/{row.text}").random() < ROUGH_SHARE


def generated_path() -> Path:
    return Path(str(generated_data_file()))


def render(rows: list[AnswerExample]) -> str:
    return "".join(row.model_dump_json(exclude_defaults=True) + "\n" for row in rows)


def main() -> None:
    rows = generate(answer_phrases(), taken())
    generated_path().write_text(render(rows), encoding="utf-8")
    print(f"wrote {len(rows)} requests to {generated_path()}")


if __name__ == "__main__":
    main()
