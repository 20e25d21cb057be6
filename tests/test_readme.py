"""The README's quick start runs as written: every shell command in it is known, the read-only ones
are run against a live ``triage up --demo``, exactly as printed but for ids and ports."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.live_stack import REPO, Stack

pytestmark = pytest.mark.slow

README = REPO / "README.md"

# Commands that change something or start the stack: checked to be known, not run here
# (make demo is what the live stack below is; test_cli_live and test_demo cover the rest).
NOT_RUN = [
    r"^make (demo|test)$",
    r"^export TRIAGE_REVIEWERS=",
    r'^echo "\$TRIAGE_REVIEWERS" && make demo$',
    r"^\.venv/bin/triage approve msg_…$",
    r"^\.venv/bin/triage send --from ",  # the emulator's inbox: test_cli_live and test_conversations run it
]
READ_ONLY = [
    r"^\.venv/bin/triage (reviews|show|stats)\b",
    r"^\.venv/bin/temporal workflow (list|query|describe)\b",
    r"^curl -s localhost:\d+/_sim/sent\b",
]


def quick_start() -> str:
    text = README.read_text()
    return text[text.index("## Quick start") : text.index("## How it works")]


def shell_commands(markdown: str) -> list[str]:
    """Each command of each ```bash block: continuation lines joined, trailing comments dropped."""
    commands = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", markdown, flags=re.S):
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            command = re.sub(r"\s+#\s.*$", "", command).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def test_every_quick_start_command_is_known():
    commands = shell_commands(quick_start())
    unknown = [c for c in commands if not any(re.search(p, c) for p in NOT_RUN + READ_ONLY)]
    assert not unknown, f"new README commands: classify them in {__file__}: {unknown}"
    for command in commands:  # as written on a fresh machine: nothing from a PATH it has not got
        assert re.match(r"(\.venv/bin/|make |curl |export |echo )", command), command


@pytest.fixture
def stack(demo: Stack) -> Stack:
    """The demo stack test_cli_live decides reviews on, read here first (tests/sharing.py)."""
    return demo


def as_run_here(command: str, stack: Stack, workflow_id: str) -> str:
    """The README's command with a real id and this stack's ports (the README's are the defaults)."""
    message_id = workflow_id.removeprefix("triage-")
    command = command.replace("triage-msg_…", workflow_id).replace("msg_…", message_id)
    command = command.replace("localhost:8725", f"127.0.0.1:{stack.ports.mail}")
    return command.replace("localhost:8000", f"127.0.0.1:{stack.ports.api}")


def test_read_only_quick_start_commands_run_against_the_demo(stack: Stack):
    workflow_id = stack.reviews()[0]["workflow_id"]
    commands = [c for c in shell_commands(quick_start()) if any(re.search(p, c) for p in READ_ONLY)]
    ran = {}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", as_run_here(command, stack, workflow_id)],
            cwd=REPO,
            env=stack.env,  # TEMPORAL_ADDRESS for both CLIs: the stack runs on free ports
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert done.stdout.strip(), command
        ran[command] = done.stdout
        print(f"ok: {command}")
    assert len(ran) >= 5, ran.keys()
    by_kind = {p: out for c, out in ran.items() for p in READ_ONLY if re.search(p, c)}
    assert workflow_id in by_kind[READ_ONLY[1]]  # the Web UI's filter finds the pending review
    assert "sent" in json.loads(by_kind[READ_ONLY[2]])
    shown = next(out for c, out in ran.items() if c.startswith(".venv/bin/triage show"))
    assert workflow_id in shown


def test_the_first_screen_is_what_a_newcomer_needs():
    first_screen = "\n".join(README.read_text().splitlines()[:60])
    for needed in (
        "make demo",
        "make test",
        "How long",
        "What you will see",
        "Try your own mail",
        ".data/demo-token",
    ):
        assert needed in first_screen, needed


def test_every_page_the_readme_links_exists():
    text = README.read_text()
    pages = set(re.findall(r"\]\((docs/[^)#]+)\)", text))
    assert {"docs/how-it-decides.md", "docs/autonomy.md", "docs/operations.md", "docs/extending.md"} <= pages
    # docs/configuration.md is generated from the settings model on its own branch (lint).
    missing = [page for page in pages - {"docs/configuration.md"} if not (REPO / page).exists()]
    assert not missing, missing
    for page in (REPO / "docs").glob("*.md"):
        for link in re.findall(r"\]\(([^)#:]+\.(?:md|png))\)", page.read_text()):
            target = (page.parent / link).resolve()
            assert target.exists() or target.name == "configuration.md", (page.name, link)


def test_the_cli_section_uses_the_venv_temporal():
    text = README.read_text()
    section = text[text.index("## Reviewing from the CLI") : text.index("## The reviewer dashboard")]
    for command in shell_commands(section):
        assert command.startswith(".venv/bin/") or command.startswith("export "), command
    assert Path(REPO / ".venv/bin/temporal").exists()


def test_the_demo_s_pages_say_what_is_in_force(stack: Stack):
    """The login page says where the demo's token is; the Autonomy page states the demo's promotion count."""
    import httpx

    from tests.helpers import csrf_token

    with httpx.Client(base_url=stack.api, timeout=30) as http:
        login = http.get("/login")
        assert ".data/demo-token" in login.text and "make demo" in login.text
        http.post("/login", data={"token": stack.token(), "csrf_token": csrf_token(login.text)})
        page = http.get("/autonomy")
    assert page.status_code == 200, page.text[:500]
    assert 'data-testid="promote-after">3<' in page.text
    assert "<code>make demo</code> sets 3" in page.text and "the default is 30" in page.text
    assert page.text.count('data-testid="always-review"') == 3  # billing, bug, feature request
