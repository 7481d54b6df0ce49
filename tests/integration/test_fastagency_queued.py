"""FastAgency runs whose job waits in the queue: keep-alives, stray frames, cancel before start.

The API serves a Redis database no worker serves yet, so a run stays queued exactly as long as
the test wants; the catalog is the one the session worker published.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from agentjobs import keys
from tests.support.fastagency_wire import fastagency_run
from tests.support.stack import RedisServer, api_server, celery_worker

KEEP_ALIVE = 0.3


@pytest.fixture
def queued_api(
    redis_srv: RedisServer, isolated_db: str, api_url: str, logs_dir: Path
) -> Iterator[str]:
    """An API with short keep-alives on ``isolated_db``, where no worker runs (yet)."""
    catalog = redis_srv.client().hgetall(keys.WORKFLOWS)  # published by the session worker
    assert catalog
    copy = redis.Redis.from_url(isolated_db)
    copy.hset(keys.WORKFLOWS, mapping=catalog)
    # Served, as far as the catalog knows (a job queued for a workflow nobody serves would log
    # a "waiting for a worker" progress event first), yet no worker takes jobs on this database.
    for name in catalog:
        copy.zadd(keys.workflow_workers(name), {"absent-worker": time.time() + 3600})
    log = logs_dir / "fastagency-queued-api.log"
    with api_server(
        isolated_db, log, AGENTJOBS_FASTAGENCY_KEEP_ALIVE_SECONDS=str(KEEP_ALIVE)
    ) as url:
        yield url


async def test_keep_alives_while_idle_and_a_stray_frame_is_never_kept_as_an_answer(
    queued_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with fastagency_run(queued_api, "learning_chat", {"turns": 2}) as ws:
        # Accepted: workflow_started at once, though no worker has the job yet; keep-alives
        # then show the socket is alive while it waits.
        assert (await ws.next(timeout=5))["type"] == "workflow_started"
        for _ in range(3):
            assert (await ws.next(timeout=5 * KEEP_ALIVE))["type"] == "keep_alive"
        await ws.answer("fractions")  # nothing was asked: refused, and not stored for later
        refused = await ws.until("error")
        assert refused["content"]["short"] == "Nothing to answer"
        job_id = refused["workflow_uuid"]
        before = len(ws.frames)

        async with httpx.AsyncClient(base_url=queued_api, timeout=10) as http:
            with celery_worker(isolated_db, logs_dir / "fastagency-queued-worker.log", 2):
                question = await ws.until("text_input")
                run_types = [f["type"] for f in ws.frames[before:] if f["type"] != "keep_alive"]
                assert "workflow_started" not in run_types  # the worker's start adds none
                # Waiting for the human: still keep-alives, and the question is still open.
                await ws.until("keep_alive")
                record = (await http.get(f"/jobs/{job_id}")).json()
                assert record["status"] == "awaiting_input"
                events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
                assert "input_received" not in [e["type"] for e in events]

                await ws.answer("prime numbers")
                done = await ws.until("workflow_completed")
                assert await ws.close_code() == 1000
    assert question["workflow_uuid"] == job_id
    assert "prime numbers" in done["content"]["result"]
    assert "fractions" not in done["content"]["result"]


async def test_a_run_cancelled_before_it_started_ends_like_fastagency_says(queued_api: str) -> None:
    async with fastagency_run(queued_api, "learning_chat") as ws:
        assert (await ws.next(timeout=5))["type"] == "workflow_started"
        alive = await ws.next(timeout=5 * KEEP_ALIVE)
        assert alive["type"] == "keep_alive"
        async with httpx.AsyncClient(base_url=queued_api, timeout=10) as http:
            cancelled = await http.post(f"/jobs/{alive['workflow_uuid']}/cancel")
            assert cancelled.status_code == 200, cancelled.text
        assert await ws.close_code() == 1000
    assert ws.types() == ["workflow_started", "error", "workflow_completed"]
    assert ws.frames[-2]["content"]["short"] == "Workflow cancelled"
