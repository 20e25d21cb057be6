"""Version gates: every ``workflow.patched`` call names a gate of ``workflows/versions.py``,
every gate listed there is used, and each says what it protects and when it can go.

Read from the code (``ast``), so a gate added with a bare string, or left behind
after its last use is removed, fails here.
"""

from __future__ import annotations

import ast
import itertools
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from workflows import versions

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"
DOC = re.compile(r"Added (\d{4}-\d{2}-\d{2}); removable after (\d{4}-\d{2}-\d{2}) \((\w+)\)\.$")


def listed_gates() -> dict[str, str]:
    """Each string constant of versions.py and the docstring that follows it."""
    body = ast.parse((WORKFLOWS / "versions.py").read_text(encoding="utf-8")).body
    gates = {}
    for node, after in itertools.pairwise([*body, None]):  # the last constant may have no docstring
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            (target,) = node.targets
            assert isinstance(target, ast.Name)
            is_doc = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
            gates[target.id] = after.value.value if is_doc else ""  # type: ignore[union-attr]
    return gates


def patched_calls(source: str) -> list[ast.expr]:
    """The argument of every ``workflow.patched(...)`` (or ``patched(...)``) call."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "patched":
                calls.append(node.args[0] if node.args else node)
    return calls


def gates_named(source: str) -> tuple[set[str], list[str]]:
    """The gates a module's patched calls name (``versions.X``, or a choice of two), and the calls that name none."""
    named, bare = set(), []
    for arg in patched_calls(source):
        choices = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
        for choice in choices:
            if (
                isinstance(choice, ast.Attribute)
                and isinstance(choice.value, ast.Name)
                and choice.value.id == "versions"
            ):
                named.add(choice.attr)
            else:
                bare.append(ast.unparse(choice))
    return named, bare


def all_named() -> tuple[set[str], dict[str, list[str]]]:
    named: set[str] = set()
    bare: dict[str, list[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.py")):
        found, unlisted = gates_named(path.read_text(encoding="utf-8"))
        named |= found
        if unlisted:
            bare[path.name] = unlisted
    return named, bare


def test_every_patched_call_names_a_listed_gate():
    named, bare = all_named()
    assert not bare, f"patched() with no gate of workflows/versions.py: {bare}"
    assert named <= set(listed_gates()), named - set(listed_gates())


def test_every_listed_gate_is_used():
    named, _ = all_named()
    assert set(listed_gates()) == named, set(listed_gates()) - named


def test_gate_ids_are_distinct():
    ids = [getattr(versions, name) for name in listed_gates()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", sorted(listed_gates()))
def test_each_gate_says_what_it_protects_and_when_it_can_go(name: str):
    doc = " ".join(listed_gates()[name].split())
    found = DOC.search(doc)
    assert found, f"{name}: docstring must end 'Added YYYY-MM-DD; removable after YYYY-MM-DD (RUN).'"
    assert len(doc[: found.start()].strip()) > 20, f"{name}: say what it protects"
    added, removable = date.fromisoformat(found[1]), date.fromisoformat(found[2])
    # No run started before the gate can still be running or be replayed for a query.
    run: timedelta = getattr(versions, found[3])
    gone = datetime.combine(added, datetime.min.time()) + run + versions.RETENTION
    # The first day that starts with none left (a gate that went in at any hour of its day).
    assert removable == (gone - timedelta(microseconds=1)).date() + timedelta(days=1), (name, gone)


def test_the_checks_see_a_bare_patch_id_and_an_unlisted_gate():
    named, bare = gates_named(
        "if workflow.patched('new-thing'):\n    pass\n"
        "if workflow.patched(versions.NOT_LISTED if again else GATE):\n    pass\n"
    )
    assert bare == ["'new-thing'", "GATE"] and named == {"NOT_LISTED"}
    assert "NOT_LISTED" not in listed_gates()
