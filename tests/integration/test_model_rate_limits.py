"""Global model rate limits: two workers, many jobs, one limit shared through Redis; a burst of
429s with ``Retry-After`` fails no job."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from agentjobs.model_meter import WAITING_FOR_CAPACITY
from tests.support.client import start_job
from tests.support.fake_openai import FakeOpenAI, fake_openai_server
from tests.support.stack import RedisServer, api_server, celery_worker, wait_until

DB = 9
MODEL = "fake-rated-model"
FINISHED = "succeeded,failed,cancelled"
PER_SECOND = 5
"""The limit, per second to keep the test short (``/min`` works the same, 60 times slower).
Between taking its turn and reaching the server a call spends a few tens of ms, more on a
busy machine: a limit of 10/s (100 ms apart) already let that jitter show."""


@dataclass(frozen=True)
class RateStack:
    api: str
    model: FakeOpenAI


@pytest.fixture(scope="module")
def stack(redis_srv: RedisServer, logs_dir: Path) -> Iterator[RateStack]:
    url = f"redis://127.0.0.1:{redis_srv.port}/{DB}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    try:
        with fake_openai_server() as model:
            env = {
                "OPENAI_API_KEY": "test-key",
                "OPENAI_BASE_URL": model.base_url,
                "AGENTJOBS_MODEL": MODEL,
                "AGENTJOBS_MODEL_RATE_LIMITS": f"{MODEL}={PER_SECOND}/s",
            }
            with (
                api_server(url, logs_dir / "api-rates.log") as api,
                celery_worker(url, logs_dir / "worker-rates-0.log", 10, **env),
                celery_worker(url, logs_dir / "worker-rates-1.log", 10, **env),
            ):
                yield RateStack(api, model)
    finally:
        db.flushdb()
        db.close()


async def _run_all(stack: RateStack, count: int, turns: int) -> list[list[dict[str, Any]]]:
    """Run ``count`` chats of ``turns`` model calls at once; their logs, once all ended."""
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        ids = [await start_job(http, "model_chat", turns=turns) for _ in range(count)]

        def ended() -> bool:
            # Polled, not watched: 20 sockets in this process would slow the fake server that
            # times the requests (it runs here too), and skew what it measures.
            listed = httpx.get(f"{stack.api}/jobs", params={"status": FINISHED, "limit": 200})
            return {job["job_id"] for job in listed.json()["jobs"]} >= set(ids)

        await asyncio.to_thread(wait_until, ended, 60, "every job to end")
        return [(await http.get(f"/jobs/{job_id}/events")).json()["events"] for job_id in ids]


async def _warm_up(stack: RateStack) -> None:
    """Let each worker make its first model call: a process's first one spends a few hundred ms
    between taking its turn and reaching the server on this busy machine (with a real
    ``/min`` limit, a second apart, that would not matter; at 5/s it crowds the next call)."""
    async with httpx.AsyncClient(base_url=stack.api, timeout=10) as http:
        for _ in range(5):
            logs = await _run_all(stack, 4, turns=1)
            workers = [
                (await http.get(f"/jobs/{log[0]['job_id']}")).json()["worker"] for log in logs
            ]
            if len(set(workers)) == 2:
                return
    raise AssertionError("one worker took every warm-up job")


async def test_twenty_jobs_on_two_workers_stay_within_the_model_limit(stack: RateStack) -> None:
    await _warm_up(stack)
    first = len(stack.model.requests)
    logs = await _run_all(stack, 20, turns=1)
    assert [log[-1]["type"] for log in logs] == ["workflow_completed"] * 20
    assert len(stack.model.requests) - first == 20
    # Starts are spaced by 1/limit: a window holds the limit, plus one call on its edge.
    assert stack.model.max_in_window(1.0, first) <= PER_SECOND + 1
    # The limit is met, not undercut by much: 20 calls took about 20 / limit seconds.
    assert stack.model.max_in_window(1.0, first) >= PER_SECOND - 1
    notices = [
        [
            e
            for e in log
            if e["type"] == "progress" and e["content"].startswith(WAITING_FOR_CAPACITY)
        ]
        for log in logs
    ]
    assert any(notices), "no job showed that it waited"
    # Once per wait (one call, one wait), not once per poll.
    assert all(len(shown) <= 1 for shown in notices)


async def test_a_burst_of_429s_fails_no_job(stack: RateStack) -> None:
    before = len(stack.model.requests)
    stack.model.fail_next(6, status=429, retry_after=0.2)
    logs = await _run_all(stack, 3, turns=2)
    assert [log[-1]["type"] for log in logs] == ["workflow_completed"] * 3
    assert len(stack.model.requests) - before == 6 + 3 * 2
    busy = [e for log in logs for e in log if e["type"] == "progress" and "busy" in e["content"]]
    assert len(busy) == 6
