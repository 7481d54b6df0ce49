"""Fixtures shared by several integration test modules (the session ones: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.auth_api import ALICE, AuthApi, auth_api_server, waiting_job
from tests.support.fake_openai import FakeOpenAI, fake_openai_server
from tests.support.stack import RedisServer, api_server


@pytest.fixture(scope="module")
def auth_api(
    redis_srv: RedisServer, worker_proc: None, logs_dir: Path, request: pytest.FixtureRequest
) -> Iterator[AuthApi]:
    """An API process with two users on the session Redis (the session worker runs the jobs)."""
    log = logs_dir / f"api-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    with auth_api_server(redis_srv.url, log) as api:
        yield api


@pytest.fixture
def alice_job(auth_api: AuthApi) -> Iterator[tuple[str, str]]:
    """A waiting job of alice's, cancelled afterwards (it holds one of the worker's threads)."""
    job = waiting_job(auth_api)
    yield job
    with auth_api.client(ALICE) as client:
        assert client.post(f"/jobs/{job[0]}/cancel").status_code in (200, 409)


@pytest.fixture
async def durable_api(isolated_db: str, logs_dir: Path) -> AsyncIterator[str]:
    """An API on a database of its own whose reaper looks often."""
    with api_server(
        isolated_db, logs_dir / "api-durable.log", AGENTJOBS_REAPER_INTERVAL_SECONDS="0.3"
    ) as url:
        yield url


@pytest.fixture
def fake_model() -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible model that counts the calls it serves."""
    with fake_openai_server() as server:
        yield server
