"""Redis full (maxmemory, noeviction) or down: every route answers 503 with ``Retry-After``,
never a 500, names no internal address, and no job is corrupted or failed as ``worker_lost``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from tests.support.client import job_socket, start_job
from tests.support.stack import RedisServer, api_server, celery_worker, redis_server

pytestmark = pytest.mark.heavy


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


def _assert_unavailable(response: httpx.Response, port: int) -> None:
    assert response.status_code == 503, (response.request.url, response.status_code, response.text)
    if response.request.url.path != "/health":  # a probe, not a request to retry
        assert int(response.headers["retry-after"]) > 0
    assert str(port) not in response.text and "127.0.0.1" not in response.text, response.text


async def test_at_maxmemory_writes_are_503_and_jobs_survive(
    own_redis: RedisServer, logs_dir: Path
) -> None:
    admin = own_redis.client()
    with (
        celery_worker(own_redis.url, logs_dir / "worker-store-full.log", concurrency=2),
        api_server(own_redis.url, logs_dir / "api-store-full.log") as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            waiting = await start_job(http, "learning_chat")
            spare = await start_job(http, "learning_chat")
            async with job_socket(api, waiting) as ws:
                question = await ws.until("text_input")
            async with job_socket(api, spare) as ws:
                spare_question = await ws.until("text_input")

            admin.config_set("maxmemory-policy", "noeviction")
            admin.config_set("maxmemory", "1")  # every write command is now refused with OOM
            try:
                refused = await asyncio.gather(
                    http.post("/jobs", json={"workflow": "learning_chat"}), http.get("/health")
                )
                for response in refused:
                    _assert_unavailable(response, own_redis.port)
                # Scripts already running may still write at maxmemory: these may be taken,
                # or refused with a 503, but never a 500.
                spare_answer = {"request_id": spare_question["request_id"], "value": "x"}
                others = await asyncio.gather(
                    http.post(f"/jobs/{spare}/input", json=spare_answer),
                    http.post(f"/jobs/{spare}/cancel"),
                    http.get("/workflows"),
                    http.get("/jobs"),
                    http.get(f"/jobs/{waiting}"),
                    http.get(f"/jobs/{waiting}/events"),
                    http.get("/metrics"),
                )
                for response in others:
                    if response.status_code == 503:
                        _assert_unavailable(response, own_redis.port)
                    else:
                        assert response.status_code < 500, (response.request.url, response.text)
                # Longer than the worker's lease (15 s) plus a reaper pass: the waiting job's
                # lease could not be renewed while Redis refused writes.
                await asyncio.sleep(22)  # the outage itself, not a synchronisation
            finally:
                admin.config_set("maxmemory", "0")

            answer = {"request_id": question["request_id"], "value": "fractions"}
            record = (await http.get(f"/jobs/{waiting}")).json()
            assert record["status"] == "awaiting_input", record
            answered = await http.post(f"/jobs/{waiting}/input", json=answer)
            assert answered.status_code == 200, answered.text
            async with job_socket(api, waiting, after=question["id"]) as ws:
                end = await ws.until_end()
            assert end["type"] == "workflow_completed", end


async def test_with_redis_down_every_route_is_503(own_redis: RedisServer, logs_dir: Path) -> None:
    with api_server(own_redis.url, logs_dir / "api-store-down.log") as api:
        own_redis.client().shutdown(nosave=True)
        async with httpx.AsyncClient(base_url=api, timeout=60) as http:
            responses = await asyncio.gather(
                http.post("/jobs", json={"workflow": "learning_chat"}),
                http.get("/workflows"),
                http.get("/jobs"),
                http.get("/jobs/some-job"),
                http.get("/jobs/some-job/events"),
                http.post("/jobs/some-job/cancel"),
                http.post("/jobs/some-job/input", json={"request_id": "r", "value": "v"}),
                http.get("/health"),
            )
            handshake = await _refused_handshake(f"ws{api.removeprefix('http')}/jobs/some-job/ws")
        for response in responses:
            _assert_unavailable(response, own_redis.port)
        assert handshake.status_code == 503, handshake
        assert int(handshake.headers["retry-after"]) > 0
        assert str(own_redis.port) not in handshake.body.decode()
        log = (logs_dir / "api-store-down.log").read_text()
        assert " ERROR " not in log, log[-3000:]


async def _refused_handshake(url: str) -> Response:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=60):
            pass
    return refused.value.response
