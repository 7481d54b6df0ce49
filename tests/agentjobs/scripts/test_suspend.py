"""``scripts.suspend`` releases a waiting job, with its question's deadline, or keeps it."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys, scripts
from tests.agentjobs.scripts.jobs import asking, queued, record, started


async def _suspend(
    redis: Redis, job_id: str, token: str, request_id: str, deadline_ms: int | None
) -> scripts.Suspension:
    return await scripts.suspend(
        redis, job_id=job_id, token=token, request_id=request_id, deadline_ms=deadline_ms
    )


async def test_a_waiting_job_lets_go_of_its_worker_and_lease(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    assert await _suspend(redis, job_id, "tok", "req-1", 1_700_000_000_000) is (
        scripts.Suspension.SUSPENDED
    )
    stored = await record(redis, job_id)
    assert stored["suspended"] == "1" and "token" not in stored
    assert stored["status"] == "awaiting_input"
    assert await redis.exists(keys.lease(job_id)) == 0
    assert await redis.zscore(keys.LEASES, job_id) is None
    assert await redis.zscore(keys.INPUT_DEADLINES, job_id) == 1_700_000_000_000


async def test_a_question_without_a_timeout_gets_no_deadline(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    assert await _suspend(redis, job_id, "tok", "req-1", None) is scripts.Suspension.SUSPENDED
    assert await redis.zscore(keys.INPUT_DEADLINES, job_id) is None


async def test_an_answered_question_or_a_lost_job_is_not_suspended(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    assert await _suspend(redis, job_id, "tok", "req-0", None) is scripts.Suspension.ANSWERED
    assert await _suspend(redis, job_id, "other", "req-1", None) is scripts.Suspension.FENCED
    assert await redis.get(keys.lease(job_id)) == "tok"
    assert "suspended" not in await record(redis, job_id)
