"""Every path the docs name exists: a file moved or renamed fails here, not in a reader's hands.

The docs are read by the next engineer (docs/architecture.md above all) and go stale
silently when the tree is regrouped. A path is what a doc writes in backticks with a
slash and a file ending (or a closing slash, for a folder), read from the repository's
root, and every relative link. ``<lang>``-style placeholders match any name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [*sorted((REPO / "docs").glob("*.md")), REPO / "README.md"]

CODE = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH_END = re.compile(r"(/|\.(py|md|toml|jsonl?|ya?ml|npz|html|css|js|txt|cfg|sh|png))$")
PLACEHOLDER = re.compile(r"<[^>]+>")

# Named on purpose although absent from the tree, with the reason.
NOT_IN_THE_TREE = {
    "bench/results/NAME.json": "written by `python -m bench`, not kept in the repository",
    "bench/chaos.py": "history: the module that became the bench/chaos/ package",
}


def code_paths(text: str) -> set[str]:
    found = set()
    for match in CODE.finditer(text):
        token = match.group(1).rstrip(".,:;")
        if "/" in token and PATH_END.search(token) and not token.startswith(("/", "~", "$", "http")):
            if "=" not in token and "://" not in token:
                found.add(token)
    return found


def link_paths(text: str) -> set[str]:
    return {
        target.split("#")[0]
        for target in LINK.findall(text)
        if not target.startswith(("http://", "https://", "mailto:", "#"))
    }


def exists(base: Path, path: str) -> bool:
    pattern = PLACEHOLDER.sub("*", path).rstrip("/")
    if "*" in pattern:
        return any(base.glob(pattern))
    return (base / pattern).exists()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_path_a_doc_names_exists(doc: Path):
    text = doc.read_text(encoding="utf-8")
    missing = sorted(p for p in code_paths(text) if p not in NOT_IN_THE_TREE and not exists(REPO, p))
    missing += sorted(f"link {p}" for p in link_paths(text) if not exists(doc.parent, p))
    assert missing == [], f"{doc.relative_to(REPO)} names what is not in the tree: {missing}"


def test_the_reader_finds_the_paths_it_is_meant_to():
    """The test itself can fail: a path written as the docs write them is caught when absent."""
    text = "Open `triage/domain/policy.py`, the packs in `triage/kb/<lang>/`, and `triage/llm/guards.py`."
    assert code_paths(text) == {"triage/domain/policy.py", "triage/kb/<lang>/", "triage/llm/guards.py"}
    assert [p for p in sorted(code_paths(text)) if not exists(REPO, p)] == ["triage/llm/guards.py"]
    assert link_paths("[x](docs/gone.md#part) [y](https://example.org/a.md)") == {"docs/gone.md"}
    assert not exists(REPO, "docs/gone.md")
    for absent in NOT_IN_THE_TREE:  # an exception that came true is dropped from the list
        assert not exists(REPO, absent), absent
