"""What several test modules share, and the scheduling that keeps those modules together.

One ``triage up --demo``: each start and stop of the stack costs about 14 s of CPU (the
dev server, six Python processes, the judge's model, the samples judged), and a minute
of wall time on a busy machine. ``test_readme`` reads it and ``test_cli_live`` decides
reviews on it, in that order (collection order: ``LONGEST_FIRST`` in conftest.py): they
share one stack, started by the first test that asks and stopped after the last test of
the two (an idle stack still costs CPU).

One Chromium (``tests/browser.py``, a session fixture): the browser modules each open
contexts of their own in it.

Under pytest-xdist (``--dist loadfile``) each group of modules below is one unit of work,
so they run in one process, one after the other, on one stack or one browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.live_stack import Stack, demo_stack

# The modules on the shared stack, in the order they run on it.
DEMO_MODULES = ("tests/test_readme.py", "tests/test_cli_live.py")
BROWSER_MODULES = (
    "tests/test_dashboard_browser.py",
    "tests/test_dashboard_surfaces.py",
    "tests/test_web_ui.py",
)
# The unit of work of each module that shares: the modules of a group run in one process.
UNITS = {
    **dict.fromkeys(DEMO_MODULES, "demo stack: " + " ".join(DEMO_MODULES)),
    **dict.fromkeys(BROWSER_MODULES, "browser: " + " ".join(BROWSER_MODULES)),
}
PENDING = 3  # reviews left pending by the demo: test_cli_live decides three of them


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class SharedDemo:
    """The stack, started on first use; ``close`` stops it (a check that it stops with exit 0)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._running: ExitStack | None = None
        self._stack: Stack | None = None
        # A stack that did not start fails each test that asks, once (as a module fixture's error).
        self._failed: BaseException | None = None

    def get(self) -> Stack:
        if self._failed is not None:
            raise AssertionError(f"the shared demo stack did not start: {self._failed}")
        if self._stack is None:
            try:
                with ExitStack() as running:
                    self._stack = running.enter_context(
                        demo_stack(self._factory.mktemp("demo-stack"), PENDING)
                    )
                    self._running = running.pop_all()
            except Exception as err:
                self._failed = err
                raise
        return self._stack

    def close(self) -> None:
        running, self._running, self._stack, self._failed = self._running, None, None, None
        if running is not None:
            running.close()


_shared: list[SharedDemo] = []


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDemo]:
    shared = SharedDemo(tmp_path_factory)
    _shared.append(shared)
    try:
        yield shared
    finally:
        _shared.remove(shared)
        shared.close()


@pytest.fixture
def demo(shared_demo: SharedDemo) -> Stack:
    """The shared demo stack (started again if a test of these modules runs after it was stopped)."""
    return shared_demo.get()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of the modules on the stack (on this process), the stack stops."""
    if module_of(item.nodeid) in DEMO_MODULES and (
        nextitem is None or module_of(nextitem.nodeid) not in DEMO_MODULES
    ):
        for shared in _shared:
            shared.close()


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile``, with each group of modules above as one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling  # type: ignore[import-untyped]

    class SharingScheduling(LoadFileScheduling):  # type: ignore[misc]  # xdist ships no types
        def _split_scope(self, nodeid: str) -> str:
            module = module_of(nodeid)
            return UNITS.get(module, module)

        def _reschedule(self, node: Any) -> None:  # an xdist WorkerController
            """The next unit only once the last test of the process's unit runs.

            xdist's own rule tops a process up while two of its tests are left: a unit of
            minutes could then wait behind most of another in one process while the others
            run out of work. A process needs the test after the running one (pytest's
            ``nextitem``) before it runs it, so the next unit is sent then, not later.
            """
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return SharingScheduling(config, log)
