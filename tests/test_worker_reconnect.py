"""The workers and the watcher ride out a Temporal server that is down or restarting.

A real dev server on a SQLite file and ``triage worker`` / ``triage judge`` /
``triage watch`` as processes: started before the server, they wait for it
(they exited with code 3 at once; the watcher, once it answers, starts a
workflow for the mail that came meanwhile); the server killed and started again on the same file, they poll
again. Their logs say each change once, with its reason, not each attempt.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from bench.harness import poll_until
from bench.processes import DevServer, settings_environment, spawn, stop_process
from tests.conftest import inbound
from triage.domain.contracts import workflow_id_for
from triage.runtime import reachable
from triage.runtime.asgi_server import free_port
from triage.runtime.config import Settings

pytestmark = pytest.mark.slow

TRIAGE = str(Path(sys.executable).with_name("triage"))


async def polled(client: Client, task_queue: str, since: float, timeout: float = 60) -> None:
    """Until a worker polled ``task_queue`` after ``since`` (the server's record of its pollers)."""
    deadline = time.monotonic() + timeout
    while True:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        if any(p.last_access_time.ToSeconds() >= since for p in described.pollers):
            return
        assert time.monotonic() < deadline, f"no worker polls {task_queue}"
        await asyncio.sleep(0.5)


async def started_for(client: Client, message_id: str, timeout: float = 60) -> None:
    """Until the message's triage workflow exists (the watcher started it)."""

    async def exists() -> bool:
        try:
            await client.get_workflow_handle(workflow_id_for(message_id)).describe()
        except RPCError as err:
            assert err.status is RPCStatusCode.NOT_FOUND, err
            return False
        return True

    assert await poll_until(exists, timeout=timeout), f"no triage workflow for {message_id}"


def state_lines(log: Path) -> list[str]:
    return [
        "down" if "unreachable" in line else "up"
        for line in log.read_text(errors="replace").splitlines()
        if "triage.runtime.reachable" in line
    ]


async def test_workers_wait_for_the_server_and_ride_out_its_restart(tmp_path, settings: Settings, control):
    server = DevServer(tmp_path)  # its port is chosen; nothing listens there yet
    settings = settings.model_copy(update={"temporal_address": server.address})
    env = settings_environment(settings)
    logs = {name: tmp_path / f"{name}.log" for name in ("worker", "judge", "watch")}
    workers = {name: spawn([TRIAGE, name], log=logs[name], env=env) for name in logs}
    try:
        for name, worker in workers.items():  # each tries, fails, and waits (it exited with code 3)
            deadline = time.monotonic() + 60
            while state_lines(logs[name]) != ["down"]:
                assert worker.poll() is None, (name, worker.returncode, logs[name].read_text()[-2000:])
                assert time.monotonic() < deadline, (name, logs[name].read_text()[-2000:])
                await asyncio.sleep(0.3)

        message = await inbound(control, subject="While the server was away")
        client = await server.start()
        await polled(client, settings.temporal_task_queue, time.time() - 1)
        await polled(client, settings.judge_queue, time.time() - 1)
        await started_for(client, message["message_id"])  # the watcher caught up

        await server.kill()  # as the chaos run's restart does
        await asyncio.sleep(3 * reachable.HEALTH_EVERY_S)  # longer than a health check's period
        client = await server.start()  # the same database file
        back = time.time()
        await polled(client, settings.temporal_task_queue, back)
        await polled(client, settings.judge_queue, back)
        await asyncio.sleep(2 * reachable.HEALTH_EVERY_S)  # the worker notices that it answers again
        assert {name: w.poll() for name, w in workers.items()} == {
            "worker": None,
            "judge": None,
            "watch": None,
        }
    finally:
        await asyncio.gather(*(stop_process(w) for w in workers.values()))
        await server.stop()
    for name, log in logs.items():
        text = log.read_text(errors="replace")
        # The watcher has no health check: its mail session notices, and reconnects.
        expected = ["down", "up"] if name == "watch" else ["down", "up", "down", "up"]
        assert state_lines(log) == expected, (name, text[-3000:])
        assert "retried" not in text, (name, text[-3000:])  # no line per attempt
        assert "Connection refused" in text  # the reason, said once


async def failure(target: str) -> Exception:
    try:
        await Client.connect(target)
    except Exception as err:
        return err
    raise AssertionError(f"{target} answered")


async def test_only_what_waiting_may_cure_is_waited_for():
    refused = await failure(f"127.0.0.1:{free_port()}")  # nothing listens: yet
    assert reachable.passing(refused) and reachable.reason(refused) == "tcp connect error: Connection refused"
    assert not reachable.passing(await failure("not an address"))  # configuration: the worker exits
    assert not reachable.passing(RPCError("bad key", RPCStatusCode.UNAUTHENTICATED, b""))
    assert reachable.passing(RPCError("restarting", RPCStatusCode.UNAVAILABLE, b""))
