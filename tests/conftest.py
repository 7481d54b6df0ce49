"""Session fixtures: one private Redis, one real Celery worker and one real API for the suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.support.stack import RedisServer, api_server, celery_worker, redis_server

# One folder per test run: concurrent runs on one machine must not read each other's logs.
LOGS = Path(__file__).resolve().parents[1] / ".run" / "test-logs" / f"run-{os.getpid()}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy files first, then the others by their number of tests, most first.

    The suite runs in two processes (``scripts/test``), each taking the next file when it is
    free: a file of one slow test started last runs on while the other process idles (xdist's
    own order, by number of tests alone, put the three slowest files last).
    """
    per_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        per_file.setdefault(item.path, []).append(item)

    def starts_first(tests: list[pytest.Item]) -> tuple[bool, int]:
        return tests[0].get_closest_marker("heavy") is None, -len(tests)

    items[:] = [item for tests in sorted(per_file.values(), key=starts_first) for item in tests]


@pytest.fixture(scope="session")
def logs_dir() -> Path:
    """Where child processes write their output (kept for debugging failed runs)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS


@pytest.fixture(scope="session")
def redis_srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server on a free loopback port."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="session")
def worker_proc(redis_srv: RedisServer, logs_dir: Path) -> Iterator[None]:
    """A real Celery worker (threads pool) running the example workflows."""
    # The tests leave jobs running: with the default 30 s grace, stopping the worker at the
    # session's end waited out the 10 s before it is killed, in each test process.
    grace = {"AGENTJOBS_SHUTDOWN_GRACE_SECONDS": "1"}
    with celery_worker(redis_srv.url, logs_dir / "worker.log", concurrency=8, **grace):
        yield


@pytest.fixture(scope="session")
def api_url(redis_srv: RedisServer, worker_proc: None, logs_dir: Path) -> Iterator[str]:
    """Base URL of a real uvicorn API process."""
    with api_server(redis_srv.url, logs_dir / "api.log") as url:
        yield url


@pytest.fixture
def isolated_db(redis_srv: RedisServer) -> Iterator[str]:
    """A Redis database of its own on the session server: no session worker serves its queue."""
    db = 14
    url = f"redis://127.0.0.1:{redis_srv.port}/{db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
async def http(api_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the API."""
    # Idle connections close before uvicorn's 5 s keep-alive does, so none is reused as it dies.
    limits = httpx.Limits(keepalive_expiry=1)
    async with httpx.AsyncClient(base_url=api_url, timeout=10, limits=limits) as client:
        yield client
