"""The house reads floor to roof: which folder may import which, and no import loops.

    triage/      the library, by group (below): domain, runtime, judging (training),
                 mail (the emulator), dev tools
    workflows/   orchestration          -> triage, activities (passed through the sandbox)
    activities/  adapters               -> triage
    worker/      runs them              -> triage, workflows, activities
    starter/     start and signal them: the watcher, the CLI, `triage up`, the reviewer API
                                        -> triage, workflows, worker (for `triage worker`)
    bench/       measures the roof      -> triage, workflows, worker, starter
    tests/       test everything        -> anything but each other's test modules

Read from the code (``ast``, top-level and function-level imports alike), so a
new upward import fails here before a reviewer has to spot it.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROLES = ("triage", "workflows", "activities", "worker", "starter", "bench", "tests")
ALLOWED = {
    "triage": set(),
    "activities": {"triage"},
    "workflows": {"triage", "activities"},
    "worker": {"triage", "workflows", "activities"},
    "starter": {"triage", "workflows", "worker"},
    "bench": {"triage", "workflows", "worker", "starter"},
    "tests": set(ROLES) - {"tests"},
}


def modules() -> dict[str, Path]:
    found = {}
    for role in ROLES:
        for path in (REPO / role).rglob("*.py"):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if not top_level_only else _top_level(tree.body)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _top_level(body: list[ast.stmt]):
    """What runs at import time: module statements and ``with`` blocks (the sandbox's pass-through)."""
    for node in body:
        yield node
        if isinstance(node, ast.With):
            yield from _top_level(node.body)


def upward(role: str, path: Path) -> set[str]:
    return {
        i for i in imports(path) if (t := i.split(".")[0]) in ROLES and t != role and t not in ALLOWED[role]
    }


def test_each_folder_imports_only_the_floors_beneath_it():
    found = {name: bad for name, path in modules().items() if (bad := upward(name.split(".")[0], path))}
    assert not found, found


def test_an_upward_import_is_seen_even_inside_a_function(tmp_path):
    module = tmp_path / "policy.py"
    module.write_text("def decide():\n    from starter.review import get_state\n    return get_state\n")
    assert upward("triage", module) == {"starter.review", "starter.review.get_state"}
    assert upward("starter", module) == set()


def test_no_test_module_imports_another():
    for name, path in modules().items():
        if name.startswith("tests."):
            assert not {i for i in imports(path) if i.startswith("tests.test_")}, name


def test_no_import_loops_at_import_time():
    known = modules()
    graph = {
        name: {i for i in imports(path, top_level_only=True) if i in known and i != name}
        for name, path in known.items()
    }
    loops = []
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                loops.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])
    assert not loops, loops


# ---- groups inside triage/ (issue 24, point 5) ------------------------------------------------------

# Most specific first: a module belongs to the first group whose prefix it has.
GROUPS = (
    ("training", "triage.judging.training"),
    ("judging", "triage.judging"),
    ("emulator", "triage.mail.sim"),
    ("mail", "triage.mail"),
    ("domain", "triage.domain"),
    ("runtime", "triage.runtime"),
    ("dev", "triage.dev"),
)
GROUP_ALLOWED = {
    "domain": {"domain"},
    "runtime": {"domain", "runtime"},
    "judging": {"domain", "runtime", "judging"},
    "training": {"domain", "runtime", "judging", "training"},
    "mail": {"domain", "runtime", "mail"},
    "emulator": {"runtime", "emulator"},
    "dev": {"domain", "runtime", "judging", "training", "mail", "emulator", "dev"},
}
# Outside triage/: who may import the emulator and the dev tools (tests and bench may).
DEV_COMMANDS = {"starter.stack", "starter.cli.services", "starter.cli.emulator"}


def group_of(module: str) -> str | None:
    for group, prefix in GROUPS:
        if module == prefix or module.startswith(prefix + "."):
            return group
    return None


def test_every_library_module_belongs_to_a_group():
    """Only the package itself (and its content folders) sits at the top of triage/."""
    loose = [name for name in modules() if name.startswith("triage.") and group_of(name) is None]
    assert not loose, loose


def test_each_group_imports_only_the_groups_beneath_it():
    found = {}
    for name, path in modules().items():
        group = group_of(name)
        if group is None:
            continue
        bad = {i for i in imports(path) if (g := group_of(i)) is not None and g not in GROUP_ALLOWED[group]}
        if bad:
            found[name] = sorted(bad)
    assert not found, found


def test_the_domain_never_imports_the_trainers_or_the_emulator():
    reached = {
        name: sorted(i for i in imports(path) if group_of(i) in ("training", "emulator", "dev"))
        for name, path in modules().items()
        if group_of(name) == "domain"
    }
    assert not {name: bad for name, bad in reached.items() if bad}


def test_the_emulator_and_dev_tools_serve_tests_bench_and_dev_commands_only():
    found = {}
    for name, path in modules().items():
        if name.startswith(("triage.", "tests.", "bench.")) or name in DEV_COMMANDS:
            continue
        bad = sorted(i for i in imports(path) if group_of(i) in ("emulator", "dev"))
        if bad:
            found[name] = bad
    assert not found, found


def test_a_group_rule_is_seen(tmp_path):
    module = tmp_path / "policy.py"
    module.write_text("from triage.judging.training.train import main\n")
    assert {group_of(i) for i in imports(module)} == {"training"}
    assert "training" not in GROUP_ALLOWED["domain"]
