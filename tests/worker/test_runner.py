"""JobRunner on a thread's loop: runs end in clear states and reuse the thread's connections."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from agentjobs import keys
from backend.store import JobStore
from tests.support.stack import RedisServer, redis_server
from tests.support.workflows import registry
from worker.runner import JobRunner, RunOutcome
from worker.settings import WorkerSettings
from worker.thread_loop import thread_loop


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own: every connection it counts is one this test made."""
    with redis_server(tmp_path) as server:
        yield server


async def _no_state(_state: str, _meta: dict[str, Any]) -> None:
    return None


def _run_chatty(settings: WorkerSettings) -> RunOutcome:
    runner = JobRunner(registry, settings, "test-worker")

    async def main(redis: Redis) -> RunOutcome:
        job_id = uuid.uuid4().hex
        await JobStore(redis, settings).create(job_id, "chatty", {"count": 3}, "alice")
        return await runner.run(redis, job_id, "chatty", _no_state)

    return thread_loop(settings).run(main)


def test_runs_on_one_thread_open_no_new_connections(private_redis: RedisServer) -> None:
    settings = WorkerSettings(redis_url=private_redis.url, _env_file=None)  # type: ignore[call-arg]
    stats = private_redis.client()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_run_chatty, settings).result()
        opened = int(stats.info("stats")["total_connections_received"])
        later = [pool.submit(_run_chatty, settings).result() for _ in range(3)]
        # The control watcher ends on the terminal write's "end" instead of being cancelled
        # mid-BLPOP, which would close its connection and make the next run open another.
        assert int(stats.info("stats")["total_connections_received"]) == opened
    for outcome in (first, *later):
        assert (outcome.status, outcome.result, outcome.user) == ("succeeded", 3, "alice")


async def _first_event(redis: Redis, job_id: str, kind: str) -> None:
    cursor = "0"
    while True:
        for _key, entries in await redis.xread({keys.events(job_id): cursor}, block=10_000):
            for entry_id, fields in entries:
                cursor = entry_id
                if fields["t"] == kind:
                    return


def test_a_cancelled_job_stops_its_run(private_redis: RedisServer) -> None:
    settings = WorkerSettings(redis_url=private_redis.url, _env_file=None)  # type: ignore[call-arg]
    runner = JobRunner(registry, settings, "test-worker")

    async def main(redis: Redis) -> RunOutcome:
        store = JobStore(redis, settings)
        job_id = uuid.uuid4().hex
        await store.create(job_id, "chatty", {"count": 1000, "pause_ms": 50}, "alice")
        run = asyncio.create_task(runner.run(redis, job_id, "chatty", _no_state))
        await _first_event(redis, job_id, "text_message")
        await store.cancel(job_id, by="alice")
        return await asyncio.wait_for(run, 10)

    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(thread_loop(settings).run, main).result()
    assert outcome.status == "cancelled"
