"""A SIGKILLed worker's reserved (prefetched) tasks run on another worker within a minute.

With early acks, the tasks a threads worker runs are acked, but the ones it prefetched for its
busy slots sit in kombu's ``unacked`` hash until the visibility timeout: an hour by default.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis

from agentjobs import keys
from agentjobs.celery_config import queue_lists
from agentjobs.settings import RedisSettings
from agentjobs.versions import DEFAULT_VERSION
from backend.queue import JobQueue
from tests.support.client import job_socket, start_job
from tests.support.metrics import scrape, value
from tests.support.stack import api_server, celery_worker, wait_until

pytestmark = pytest.mark.heavy

# Prefetch on: these tests are about tasks a worker reserved for its busy slots.
LEASE = {"AGENTJOBS_LEASE_SECONDS": "1.5", "AGENTJOBS_PREFETCH": "true"}
CHATTY_QUEUE = queue_lists(keys.workflow_queue("chatty", DEFAULT_VERSION))[1]
"""Where the chatty jobs' run tasks wait: new jobs' priority, on the queue of the version they
are pinned to (the newest served)."""
START_BOUND = 60.0
"""Seconds within which a dead worker's reserved tasks must start elsewhere (issue 14)."""


@pytest.fixture
async def reaping_api(isolated_db: str, logs_dir: Path) -> AsyncIterator[str]:
    with api_server(
        isolated_db, logs_dir / "api-stranded.log", AGENTJOBS_REAPER_INTERVAL_SECONDS="0.5"
    ) as url:
        yield url


def _reserved(broker: redis.Redis) -> list[str]:
    """Job ids of the run tasks in kombu's ``unacked`` hash (delivered, not acked)."""
    entries = [json.loads(raw) for raw in broker.hvals("unacked")]
    return sorted(entry[0]["headers"]["id"] for entry in entries)


async def _events(http: httpx.AsyncClient, job_id: str) -> list[str]:
    return [e["type"] for e in (await http.get(f"/jobs/{job_id}/events")).json()["events"]]


async def test_reserved_tasks_of_a_killed_worker_start_on_a_new_worker_within_a_minute(
    reaping_api: str, isolated_db: str, logs_dir: Path
) -> None:
    broker = redis.Redis.from_url(isolated_db, decode_responses=True)
    async with httpx.AsyncClient(base_url=reaping_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-stranded-1.log", 2, **LEASE) as dead:
            running = [await start_job(http, "chatty", count=100_000, pause_ms=20) for _ in "ab"]
            for job_id in running:
                async with job_socket(reaping_api, job_id) as ws:
                    await ws.until("text_message")
            reserved = [await start_job(http, "chatty", count=2) for _ in "cd"]
            wait_until(lambda: _reserved(broker) == sorted(reserved), 10, "two reserved tasks")
            assert broker.llen(CHATTY_QUEUE) == 0
            # Reserved but not started: the queue length counts them.
            assert value(await scrape(http), "agentjobs_queue_length") == 2
            dead.send_signal(signal.SIGKILL)
            dead.wait()
        killed_at = time.monotonic()

        with celery_worker(isolated_db, logs_dir / "worker-stranded-2.log", 8, **LEASE):
            for job_id in reserved:
                async with job_socket(reaping_api, job_id) as ws:
                    frame = await ws.next()
                    while frame["type"] == "job_queued":
                        left = killed_at + START_BOUND - time.monotonic()
                        frame = await ws.next(timeout=max(left, 0.1))
                    assert frame["type"] == "workflow_started", frame
                    assert (await ws.until_end())["type"] == "workflow_completed"
            took = time.monotonic() - killed_at
            assert took < START_BOUND, f"the reserved tasks started {took:.0f} s after the kill"
            for job_id in running:
                async with job_socket(reaping_api, job_id) as ws:
                    end = await asyncio.wait_for(ws.until_end(), 10)
                assert (end["type"], end["reason"]) == ("workflow_failed", "worker_lost"), end
            for job_id in running + reserved:
                assert (await _events(http, job_id)).count("workflow_started") == 1, job_id
                assert (await http.get(f"/jobs/{job_id}")).json()["attempt"] == 1
            assert _reserved(broker) == []
            assert value(await scrape(http), "agentjobs_queue_length") == 0


async def test_a_redelivery_to_a_live_worker_starts_a_queued_job_once_and_skips_a_running_one(
    reaping_api: str, isolated_db: str, logs_dir: Path
) -> None:
    """The short visibility timeout also redelivers tasks a busy live worker still holds."""
    broker = redis.Redis.from_url(isolated_db, decode_responses=True)
    quick = {**LEASE, "AGENTJOBS_VISIBILITY_TIMEOUT_SECONDS": "5"}
    busy_log, idle_log = logs_dir / "worker-redeliver-busy.log", logs_dir / "worker-redeliver.log"
    async with httpx.AsyncClient(base_url=reaping_api, timeout=10) as http:
        with celery_worker(isolated_db, busy_log, 1, **quick):
            long_job = await start_job(http, "chatty", count=300, pause_ms=50)
            async with job_socket(reaping_api, long_job) as ws:
                await ws.until("text_message")
            held = await start_job(http, "chatty", count=2)
            wait_until(lambda: _reserved(broker) == [held], 10, "the busy worker to reserve it")
            # Still held by a live worker, yet handed back to the queue once 5 s old.
            wait_until(lambda: broker.llen(CHATTY_QUEUE) == 1, 15, "the reserved task restored")
            with celery_worker(isolated_db, idle_log, 2, **quick) as idle:
                async with job_socket(reaping_api, held) as ws:
                    assert (await ws.until_end())["type"] == "workflow_completed"
                # A second delivery of the running job: refused by the start script.
                queue = JobQueue(RedisSettings(redis_url=isolated_db))
                await queue.enqueue(long_job, "chatty")
                queue.close()
                wait_until(
                    lambda: f"job {long_job} is running: a second delivery" in idle_log.read_text(),
                    10,
                    "skip",
                )
                async with job_socket(reaping_api, long_job) as ws:
                    end = await asyncio.wait_for(ws.until_end(), 60)
                assert end["type"] == "workflow_completed" and end["result"] == 300, end
                # The busy worker now takes its own stale copy of ``held``: refused too.
                wait_until(lambda: busy_log.read_text().count(held) >= 2, 20, "the stale copy")
                assert idle.poll() is None
        for job_id in (long_job, held):
            assert (await _events(http, job_id)).count("workflow_started") == 1, job_id
            record = (await http.get(f"/jobs/{job_id}")).json()
            assert (record["status"], record["attempt"]) == ("succeeded", 1), record
