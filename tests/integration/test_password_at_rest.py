"""Password answers never sit in Redis in clear: sealed in the journal (with a key), withheld
(without one), and gone once the job ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker, wait_until

SECRET = "hunter2-correct-horse-battery"


def dump_everything(url: str) -> str:
    """Every key and every value of every type in the database, as one text."""
    client = redis.Redis.from_url(url)
    parts: list[Any] = []
    try:
        for key in client.scan_iter(count=1000):
            kind = client.type(key).decode()
            parts.append(key)
            if kind == "none":  # removed between SCAN and TYPE
                continue
            if kind == "string":
                parts.append(client.get(key))
            elif kind == "hash":
                parts.append(client.hgetall(key))
            elif kind == "list":
                parts.append(client.lrange(key, 0, -1))
            elif kind == "set":
                parts.append(client.smembers(key))
            elif kind == "zset":
                parts.append(client.zrange(key, 0, -1, withscores=True))
            elif kind == "stream":
                parts.append(client.xrange(key))
            else:
                raise AssertionError(f"unexpected type {kind} of {key!r}")
    finally:
        client.close()
    return repr(parts)


def assert_nowhere(url: str, when: str) -> None:
    text = dump_everything(url)
    assert "agentjobs:job:" in text, "the dump found no job keys: it checks nothing"
    assert SECRET not in text, f"the password answer is in Redis in clear {when}"


@pytest.fixture
def sealed_stack(isolated_db: str, logs_dir: Path) -> Iterator[str]:
    """An API and a worker sharing a secrets key; the worker suspends waiting jobs fast."""
    key = Fernet.generate_key().decode()
    with (
        api_server(isolated_db, logs_dir / "api-password.log", AGENTJOBS_SECRETS_KEY=key) as url,
        celery_worker(
            isolated_db,
            logs_dir / "worker-password.log",
            2,
            AGENTJOBS_SECRETS_KEY=key,
            AGENTJOBS_SUSPEND_AFTER_SECONDS="0.3",
        ),
    ):
        yield url


async def _answer(http: httpx.AsyncClient, job_id: str, request_id: str) -> None:
    response = await http.post(
        f"/jobs/{job_id}/input", json={"request_id": request_id, "value": SECRET}
    )
    assert response.status_code == 200, response.text


def _suspended(url: str, job_id: str) -> bool:
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        return client.hget(f"agentjobs:job:{{{job_id}}}", "suspended") == "1"
    finally:
        client.close()


async def test_a_suspended_jobs_password_answer_is_sealed_and_gone_at_the_end(
    sealed_stack: str, isolated_db: str
) -> None:
    async with httpx.AsyncClient(base_url=sealed_stack, timeout=10) as http:
        job_id = await start_job(http, "secret_echo")
        async with job_socket(sealed_stack, job_id) as ws:
            question = await ws.until("text_input")
            assert question["password"] is True
            wait_until(lambda: _suspended(isolated_db, job_id), 20, "the job to suspend")
            # The answer reaches a replaying worker only through the journal: sealed there.
            await _answer(http, job_id, question["request_id"])
            assert_nowhere(isolated_db, "right after the answer to a suspended job")
            end = await ws.until_end()
        assert end["type"] == "workflow_completed", end
        assert end["result"] == f"got a token of {len(SECRET)} characters"
    assert_nowhere(isolated_db, "after the job ended")
    client = redis.Redis.from_url(isolated_db)
    try:
        assert not client.exists(f"agentjobs:job:{{{job_id}}}:journal")
    finally:
        client.close()


async def test_a_held_jobs_password_answer_is_not_left_in_clear(
    sealed_stack: str, isolated_db: str
) -> None:
    async with httpx.AsyncClient(base_url=sealed_stack, timeout=10) as http:
        job_id = await start_job(http, "secret_echo")
        async with job_socket(sealed_stack, job_id) as ws:
            question = await ws.until("text_input")
            await _answer(http, job_id, question["request_id"])
            end = await ws.until_end()
        assert end["type"] == "workflow_completed", end
    assert_nowhere(isolated_db, "after the job ended")


async def test_without_a_key_the_answer_is_withheld_from_the_journal(
    api_url: str, http: httpx.AsyncClient, redis_srv: Any, logs_dir: Path
) -> None:
    # The session stack has no secrets key: the worker keeps the job (it cannot be replayed
    # past the question) and takes the answer from the reply list, which it empties.
    job_id = await start_job(http, "secret_echo")
    async with job_socket(api_url, job_id) as ws:
        question = await ws.until("text_input")
        await _answer(http, job_id, question["request_id"])
        end = await ws.until_end()
    assert end["type"] == "workflow_completed", end
    assert end["result"] == f"got a token of {len(SECRET)} characters"
    assert_nowhere(redis_srv.url, "after the job ended (no key)")
    # The worker says why the job held its slot (a pool of such jobs runs out of slots).
    held = [line for line in (logs_dir / "worker.log").read_text().splitlines() if job_id in line]
    assert any("holds its slot" in line for line in held)
