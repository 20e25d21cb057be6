"""Write the two registers the category model reads worst: ``python -m triage.judging.training.generate_registers``.

Real GitHub issues and IT-service tickets are harder than the rest of the
training rows: a usage question quotes a stack trace, a bug is asked as a
question ("why does X crash since 3.2?"), a feature request is asked as one
too ("is it possible to add ..."); a ticket wraps a fault or an invoice in the
same formal courtesy as a how-to request. These rows teach the request, not
its wrapper: the same errors, components and courtesy appear under every label.

Parts, written for this project, live in ``triage/judging/data/issue_parts.toml``
(projects with their own goals, faults and wishes; error texts per ecosystem;
frames per label with issue templates, code fences and versions) and
``ticket_parts.toml`` (products with their own faults, billing matters, asks and
wishes; greetings, courtesy, ticket ids and signatures in en/de/fr/es). They
become ``issues_written.jsonl`` and ``tickets_written.jsonl``, training data
like the hand-written files beside them.

Deterministic: the same parts give the same files (``tests/test_register_data.py``).
"""

from __future__ import annotations

import random
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from triage.domain.models import Category
from triage.judging.training.training_data import Example

ISSUE_FILE = "issues_written.jsonl"
TICKET_FILE = "tickets_written.jsonl"
# Rows per project and label (each project's goals, faults and wishes under several frames).
ISSUES_PER_LABEL = 4
# Rows per English product, and per other language, by label.
TICKETS_PER_PRODUCT = {Category.BUG: 5, Category.BILLING: 4, Category.GENERAL: 4, Category.FEATURE_REQUEST: 3}
TICKETS_PER_LANGUAGE = {
    Category.BUG: 8,
    Category.BILLING: 6,
    Category.GENERAL: 6,
    Category.FEATURE_REQUEST: 5,
}
NEUTRAL_SUBJECT_SHARE = 0.3
_ITEMS = {Category.GENERAL: "goals", Category.BUG: "faults", Category.FEATURE_REQUEST: "wishes"}
_SLOT = re.compile(r"\{(\w+)\}")


def data_folder() -> Path:
    return Path(str(resources.files("triage.judging").joinpath("data")))


def parts(name: str) -> dict[str, Any]:
    return tomllib.loads((data_folder() / name).read_text(encoding="utf-8"))


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def filled(text: str, values: dict[str, str]) -> str:
    """Slots replaced (twice: a value may hold slots of its own); other braces stay as written."""
    for _ in range(2):
        text = _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    return text


def with_caps(values: dict[str, str]) -> dict[str, str]:
    return {**values, **{f"{k}_cap": capitalised(v) for k, v in values.items()}}


def _issue(
    project: dict[str, Any],
    label: Category,
    item: str,
    frame: dict[str, str],
    shared: dict[str, Any],
    rng: random.Random,
) -> Example:
    previous, version = project["versions"]
    error = rng.choice(shared["errors"][project["eco"]])
    values = {
        "project": project["name"],
        "version": version,
        "previous": previous,
        "component": rng.choice(project["components"]),
        "goal": rng.choice(project["goals"]),
        "fault": rng.choice(project["faults"]),
        "wish": rng.choice(project["wishes"]),
        "os": rng.choice(shared["os"]),
        "runtime": project["runtime"],
        "fence": project["fence"],
    }
    values[_ITEMS[label][:-1]] = item  # goals -> goal: the row's own item
    values["error"] = filled(error, values)
    values["error_line"] = values["error"].splitlines()[0]
    values = with_caps(values)
    return Example(
        subject=filled(frame["title"], values),
        body=filled(frame["body"], values),
        label=label,
        lang="en",
        style="issue",
    )


def issues(shared: dict[str, Any]) -> list[Example]:
    rows = []
    for project in shared["project"]:
        rng = random.Random(f"issue/{project['name']}")
        for label, key in _ITEMS.items():
            frames = rng.sample(shared["frames"][label.value], ISSUES_PER_LABEL)
            items = project[key]
            for n, frame in enumerate(frames):
                rows.append(_issue(project, label, items[n % len(items)], frame, shared, rng))
    return rows


def short_name(product: str, lang: str) -> str:
    """What a subject line calls the product: "CloudVault backup service", "Ledgerly"."""
    if lang == "en":
        return re.sub(r"^(the |our fleet of |our )", "", product)
    return [word for word in product.split() if any(ch.isupper() for ch in word)][-1]


def _ticket(
    lang: str,
    label: Category,
    product: str,
    item: dict[str, str],
    version: str,
    own: dict[str, Any],
    ticket_ids: list[str],
    rng: random.Random,
) -> Example:
    values = {
        "product": product,
        "short": short_name(product, lang),
        "version": version,
        "ticket": rng.choice(ticket_ids).format(n=rng.randrange(10_000, 999_999)),
        "invoice": f"INV-{rng.randrange(2024, 2027)}-{rng.randrange(1000, 99999):05d}",
        "amount": f"{rng.choice(['EUR', 'USD', 'GBP', 'CHF'])} {rng.randrange(80, 25_000):,}.{rng.randrange(100):02d}",
        "users": str(rng.choice([6, 12, 18, 25, 40, 75, 120, 300])),
        "team": rng.choice(own["teams"]),
        "since": rng.choice(own["sinces"]),
        "company": rng.choice(own["companies"]),
        **item,
    }
    values = with_caps(values)
    subjects = own["subjects"]
    pool = subjects["neutral"] if rng.random() < NEUTRAL_SUBJECT_SHARE else subjects[label.value]
    request = capitalised(filled(rng.choice(own["frames"][label.value]), values))
    opening = filled(rng.choice(own["openings"]), values)
    middle = "\n\n".join(p for p in (f"{opening} {request}".strip(), rng.choice(own["closings"])) if p)
    signature = "\n".join(
        p
        for p in (
            rng.choice(own["signoffs"]),
            rng.choice(own["names"]),
            rng.choice(own["roles"]),
            values["company"],
        )
        if p
    )
    reference = filled(rng.choice(own["ticket_lines"]), values)
    body = "\n\n".join(
        p for p in (filled(rng.choice(own["greetings"]), values), middle, reference, signature) if p
    )
    return Example(subject=filled(rng.choice(pool), values), body=body, label=label, lang=lang, style="email")


_TICKET_ITEMS = {
    Category.BUG: ("fault", "faults"),
    Category.BILLING: ("charge", "charges"),
    Category.GENERAL: ("ask", "asks"),
    Category.FEATURE_REQUEST: ("wish", "wishes"),
}


def tickets(shared: dict[str, Any]) -> list[Example]:
    rows = []
    english = shared["languages"]["en"]
    for product in shared["product"]:
        rng = random.Random(f"ticket/{product['name']}")
        for label, count in TICKETS_PER_PRODUCT.items():
            slot, key = _TICKET_ITEMS[label]
            for n in range(count):
                item = {slot: product[key][n % len(product[key])]}
                rows.append(
                    _ticket(
                        "en",
                        label,
                        product["name"],
                        item,
                        product["version"],
                        english,
                        shared["ticket_ids"],
                        rng,
                    )
                )
    for lang, own in shared["languages"].items():
        if lang == "en":
            continue
        rng = random.Random(f"ticket/{lang}")
        for label, count in TICKETS_PER_LANGUAGE.items():
            slot, key = _TICKET_ITEMS[label]
            for n in range(count):
                item = {slot: own[key][n % len(own[key])]}
                version = f"{rng.randrange(2, 12)}.{rng.randrange(10)}"
                rows.append(
                    _ticket(
                        lang,
                        label,
                        rng.choice(own["products"]),
                        item,
                        version,
                        own,
                        shared["ticket_ids"],
                        rng,
                    )
                )
    return rows


def render(rows: list[Example]) -> str:
    return "".join(row.model_dump_json(exclude={"source"}) + "\n" for row in rows)


def generated() -> dict[str, str]:
    """File name -> its contents."""
    return {
        ISSUE_FILE: render(issues(parts("issue_parts.toml"))),
        TICKET_FILE: render(tickets(parts("ticket_parts.toml"))),
    }


def main() -> None:
    for name, text in generated().items():
        (data_folder() / name).write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10))} rows to {data_folder() / name}")


if __name__ == "__main__":
    main()
