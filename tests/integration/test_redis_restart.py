"""A Redis restart (AOF on) mid-run: health goes 503 then 200 and the job completes."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agentjobs.cli.redis_server import free_port, redis_answers, start_redis
from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker, wait_until

pytestmark = pytest.mark.heavy


class RestartableRedis:
    """A redis-server with AOF persistence that can be stopped and started on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_redis(self.port, self.workdir, appendonly=True)
        wait_until(lambda: redis_answers(self.url), 10, "redis-server to answer")

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()  # SIGTERM: Redis flushes the AOF before it exits
        self.proc.wait(10)


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(tmp_path / "aof")
    server.start()
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.stop()


async def _status(http: httpx.AsyncClient) -> int:
    return (await http.get("/health", timeout=30)).status_code


async def test_a_redis_restart_mid_run_loses_nothing(
    restartable_redis: RestartableRedis, logs_dir: Path
) -> None:
    url = restartable_redis.url
    with (
        celery_worker(url, logs_dir / "worker-redis-restart.log", concurrency=2),
        api_server(url, logs_dir / "api-redis-restart.log") as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            job_id = await start_job(http, "learning_chat")
            async with job_socket(api, job_id) as ws:
                question = await ws.until("text_input")
            cursor = ws.events[-1]["id"]

            await asyncio.to_thread(restartable_redis.stop)
            assert await _status(http) == 503
            await asyncio.to_thread(restartable_redis.start)
            assert await _status(http) == 200

            answer = {"request_id": question["request_id"], "value": "fractions"}
            assert (await http.post(f"/jobs/{job_id}/input", json=answer)).status_code == 200
            async with job_socket(api, job_id, after=cursor) as ws:
                end = await ws.until_end()
            assert end["type"] == "workflow_completed", end

            events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
            ids = [e["id"] for e in events]
            assert len(ids) == len(set(ids))
            assert [e["type"] for e in events].count("workflow_started") == 1
            assert (await http.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"


@pytest.mark.timeout(180)
async def test_an_outage_longer_than_a_lease_fails_no_job(
    restartable_redis: RestartableRedis, logs_dir: Path
) -> None:
    """Redis down past the worker's lease (15 s) and the pool's retries (~10 s): the running
    job goes on and the waiting job keeps waiting; neither is failed as ``worker_lost``."""
    url = restartable_redis.url
    with (
        celery_worker(url, logs_dir / "worker-long-outage.log", concurrency=2),
        api_server(url, logs_dir / "api-long-outage.log") as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            waiting = await start_job(http, "learning_chat")
            async with job_socket(api, waiting) as ws:
                question = await ws.until("text_input")
            running = await start_job(http, "chatty", count=400, pause_ms=100)
            async with job_socket(api, running) as ws:
                await ws.until("text_message")

            await asyncio.to_thread(restartable_redis.stop)
            await asyncio.sleep(22)  # the outage itself, not a synchronisation
            await asyncio.to_thread(restartable_redis.start)

            async with job_socket(api, running) as ws:
                end = await ws.until_end()
            assert end["type"] == "workflow_completed", end
            record = (await http.get(f"/jobs/{waiting}")).json()
            assert record["status"] == "awaiting_input", record
            answer = {"request_id": question["request_id"], "value": "fractions"}
            assert (await http.post(f"/jobs/{waiting}/input", json=answer)).status_code == 200
            async with job_socket(api, waiting, after=question["id"]) as ws:
                end = await ws.until_end()
            assert end["type"] == "workflow_completed", end
