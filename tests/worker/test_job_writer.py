"""A worker's start and final writes can be sent twice (a retry after a lost reply) safely."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.connection import connect
from agentjobs.protocol import TextMessage
from agentjobs.settings import RedisSettings
from backend.store import JobStore
from worker.job_writer import JobLost, JobWriter, StartOutcome


async def _no_state(_state: str, _meta: dict[str, Any]) -> None:
    return None


@pytest.fixture
async def redis(isolated_db: str) -> AsyncIterator[Redis]:
    client = connect(RedisSettings(redis_url=isolated_db))
    yield client
    await client.aclose()


def _writer(redis: Redis, isolated_db: str, job_id: str) -> JobWriter:
    settings = RedisSettings(redis_url=isolated_db)
    return JobWriter(redis, settings, job_id, uuid.uuid4().hex, 10_000, _no_state)


async def _queued_job(redis: Redis, isolated_db: str) -> str:
    job_id = uuid.uuid4().hex
    await JobStore(redis, RedisSettings(redis_url=isolated_db)).create(job_id, "chatty", {}, "ann")
    return job_id


async def _started(redis: Redis, isolated_db: str) -> tuple[str, JobWriter]:
    """A queued job, taken by a writer of its own."""
    job_id = await _queued_job(redis, isolated_db)
    writer = _writer(redis, isolated_db, job_id)
    await writer.start("chatty", "w1")
    return job_id, writer


async def test_a_start_sent_twice_keeps_the_job(redis: Redis, isolated_db: str) -> None:
    job_id = await _queued_job(redis, isolated_db)
    writer = _writer(redis, isolated_db, job_id)
    first, record = await writer.start("chatty", "w1")
    again, same = await writer.start("chatty", "w1")
    assert first is StartOutcome.STARTED and record is not None
    assert again is StartOutcome.RESUMED and same is not None and same.attempt == 1
    other, none = await _writer(redis, isolated_db, job_id).start("chatty", "w2")
    assert (other, none) == (StartOutcome.ALREADY_STARTED, None)


async def test_a_final_write_sent_twice_succeeds_once(redis: Redis, isolated_db: str) -> None:
    job_id, writer = await _started(redis, isolated_db)
    cursor = await writer.complete(3)
    assert await writer.complete(3) == cursor
    store = JobStore(redis, RedisSettings(redis_url=isolated_db))
    events = (await store.read_page(job_id, "0", None)).events
    assert [e.type for e in events].count("workflow_completed") == 1
    with pytest.raises(JobLost):
        await _writer(redis, isolated_db, job_id).complete(4)


async def test_back_to_back_messages_are_logged_in_order_before_the_end(
    redis: Redis, isolated_db: str
) -> None:
    job_id, writer = await _started(redis, isolated_db)
    for n in range(30):
        assert await writer.emit(TextMessage(job_id=job_id, sender="bot", content=str(n))) == ""
    await writer.complete(None)
    store = JobStore(redis, RedisSettings(redis_url=isolated_db))
    events = (await store.read_page(job_id, "0", None)).events
    said = [TextMessage.model_validate_json(e.json).content for e in events[2:-1]]
    assert said == [str(n) for n in range(30)] and events[-1].type == "workflow_completed"


async def test_a_run_that_lost_its_job_stops_at_its_next_emit(
    redis: Redis, isolated_db: str
) -> None:
    job_id, writer = await _started(redis, isolated_db)
    await redis.hdel(keys.job(job_id), "token")  # taken over while the run went on
    await writer.emit(TextMessage(job_id=job_id, sender="bot", content="queued"))
    with pytest.raises(JobLost):
        for _ in range(100):  # the write behind the run finds the fence by its next emit
            await writer.emit(TextMessage(job_id=job_id, sender="bot", content="more"))
    with pytest.raises(JobLost):
        await writer.complete(None)
