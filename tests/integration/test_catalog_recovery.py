"""Redis emptied or full under running workers: ``/health`` says so, and the service comes back.

Each test has a Redis of its own: FLUSHALL and a tiny ``maxmemory`` would break every other test.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.stack import RedisServer, api_server, celery_worker, redis_server

pytestmark = pytest.mark.heavy

RECOVERY_BOUND = 60.0
"""Seconds within which ``POST /jobs`` must work again after FLUSHALL (issue 14)."""


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


async def _health(http: httpx.AsyncClient) -> httpx.Response:
    return await http.get("/health", timeout=10)


def _assert_no_internal_address(response: httpx.Response, server: RedisServer) -> None:
    assert str(server.port) not in response.text
    assert "127.0.0.1" not in response.text
    assert "Error" not in response.text  # no exception text either


async def test_flushall_with_workers_up_recovers_within_a_minute_and_health_says_503_meanwhile(
    own_redis: RedisServer, logs_dir: Path
) -> None:
    with (
        celery_worker(own_redis.url, logs_dir / "worker-flushall.log", concurrency=2) as worker,
        api_server(own_redis.url, logs_dir / "api-flushall.log") as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            assert (await _health(http)).status_code == 200
            # Hold the worker still so that its next heartbeat cannot land before we look.
            worker.send_signal(signal.SIGSTOP)
            try:
                own_redis.client().flushall()
                empty = await _health(http)
                assert empty.status_code == 503
                assert empty.json()["reason"] == "no workflows published"
                assert empty.json()["redis"] is True
                refused = await http.post("/jobs", json={"workflow": "chatty"})
                assert refused.status_code == 404
            finally:
                worker.send_signal(signal.SIGCONT)

            deadline = time.monotonic() + RECOVERY_BOUND
            while (await _health(http)).status_code != 200:
                assert time.monotonic() < deadline, "the catalog never came back"
                await asyncio.sleep(0.2)
            job_id = await start_job(http, "chatty", count=2)
            async with job_socket(api, job_id) as ws:
                end = await asyncio.wait_for(ws.until_end(), 30)
            assert end["type"] == "workflow_completed", end


async def test_health_is_503_when_redis_is_full_or_gone_and_names_no_address(
    own_redis: RedisServer, logs_dir: Path
) -> None:
    with (
        celery_worker(own_redis.url, logs_dir / "worker-health-oom.log", concurrency=2),
        api_server(own_redis.url, logs_dir / "api-health-oom.log") as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            admin = own_redis.client()
            admin.config_set("maxmemory-policy", "noeviction")
            admin.config_set("maxmemory", "1")  # below what it uses: every write is refused
            try:
                full = await _health(http)
            finally:
                admin.config_set("maxmemory", "0")
            assert full.status_code == 503
            assert full.json()["reason"] == "redis full"
            _assert_no_internal_address(full, own_redis)
            assert (await _health(http)).status_code == 200

            admin.shutdown(nosave=True)
            gone = await _health(http)
            assert gone.status_code == 503
            assert gone.json()["reason"] == "redis unreachable"
            _assert_no_internal_address(gone, own_redis)
            metrics = await http.get("/metrics", timeout=30)
            assert metrics.status_code == 503
            _assert_no_internal_address(metrics, own_redis)
