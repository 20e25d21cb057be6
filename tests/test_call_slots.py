"""``CallSlots``: at most ``limit`` calls at once, a freed slot to the oldest message waiting.

Real asyncio tasks; each "call" holds its slot until the test lets it go, so the
order in which waiters get a slot is read off exactly (no timing).
"""

from __future__ import annotations

import asyncio

import pytest

from triage.judging.call_slots import CallSlots, message_order


class Calls:
    """Calls through one ``CallSlots``; each holds its slot until ``finish(name)``."""

    def __init__(self, limit: int) -> None:
        self.slots = CallSlots(limit)
        self.started: list[str] = []
        self._finish: dict[str, asyncio.Event] = {}

    async def call(self, name: str) -> None:
        self._finish[name] = asyncio.Event()
        async with self.slots.held():
            self.started.append(name)
            await self._finish[name].wait()

    async def finish(self, name: str) -> None:
        self._finish[name].set()
        await settle()


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def message(calls: Calls, name: str, *call_names: str, between: asyncio.Event | None = None) -> None:
    """One message's calls in its order, one after the other (classify, then draft)."""
    with message_order():
        for i, call_name in enumerate(call_names):
            if i and between is not None:
                await between.wait()
            await calls.call(f"{name}.{call_name}")


async def test_never_more_calls_than_slots():
    calls = Calls(2)
    tasks = [asyncio.create_task(calls.call(f"c{i}")) for i in range(5)]
    await settle()
    assert calls.started == ["c0", "c1"] and calls.slots.in_use == 2
    await calls.finish("c0")
    assert calls.started == ["c0", "c1", "c2"] and calls.slots.in_use == 2
    for name in ("c1", "c2", "c3", "c4"):
        await calls.finish(name)
    await asyncio.gather(*tasks)
    assert calls.started == [f"c{i}" for i in range(5)] and calls.slots.in_use == 0


async def test_an_older_messages_draft_goes_before_newer_classifications():
    """One slot; messages a, b, c arrive in that order. a's draft queues while b's
    classification runs and c's waits: it is served before c's, and b's draft too
    (first come first served: every classification first, then the drafts)."""
    calls = Calls(1)
    tasks = [asyncio.create_task(message(calls, name, "classify", "draft")) for name in "abc"]
    await settle()
    for name in ("a.classify", "b.classify", "a.draft", "b.draft", "c.classify", "c.draft"):
        assert calls.started[-1] == name
        await calls.finish(name)
    await asyncio.gather(*tasks)
    assert calls.started == ["a.classify", "b.classify", "a.draft", "b.draft", "c.classify", "c.draft"]


async def test_calls_outside_a_message_come_after_the_messages_in_arrival_order():
    calls = Calls(1)
    first = asyncio.create_task(calls.call("first"))  # takes the free slot
    await settle()
    tasks = [
        asyncio.create_task(calls.call("script-1")),
        asyncio.create_task(message(calls, "m", "classify")),
        asyncio.create_task(calls.call("script-2")),
    ]
    await settle()
    for name in ("first", "m.classify", "script-1", "script-2"):
        await calls.finish(name)
    await asyncio.gather(first, *tasks)
    assert calls.started == ["first", "m.classify", "script-1", "script-2"]


async def test_an_order_holds_inside_a_nested_one():
    """The judge activity drafts through the draft activity's code: the message keeps its order."""
    calls = Calls(1)
    holder = asyncio.create_task(calls.call("holder"))
    await settle()

    async def nested(name: str) -> None:
        with message_order():
            await asyncio.sleep(0)
            with message_order():  # as draft_reply called by judge
                await calls.call(name)

    older = asyncio.create_task(nested("older"))
    await settle()
    newer = asyncio.create_task(message(calls, "newer", "classify"))
    await settle()
    for name in ("holder", "older", "newer.classify"):
        await calls.finish(name)
    await asyncio.gather(holder, older, newer)
    assert calls.started == ["holder", "older", "newer.classify"]


@pytest.mark.parametrize("cancelled", ["waiting", "just_granted"])
async def test_a_cancelled_call_loses_no_slot(cancelled: str):
    calls = Calls(1)
    holder = calls.slots.held()
    await holder.__aenter__()
    victim = asyncio.create_task(calls.call("victim"))
    after = asyncio.create_task(calls.call("after"))
    await settle()
    if cancelled == "just_granted":
        await holder.__aexit__(None, None, None)  # the victim is handed the slot (no await in between)
        victim.cancel()  # and cancelled before it runs again
    else:
        victim.cancel()
        await settle()
        await holder.__aexit__(None, None, None)
    with pytest.raises(asyncio.CancelledError):
        await victim
    await settle()
    assert calls.started == ["after"] and calls.slots.in_use == 1
    await calls.finish("after")
    await after
    assert calls.slots.in_use == 0


def test_at_least_one_slot():
    with pytest.raises(ValueError):
        CallSlots(0)
