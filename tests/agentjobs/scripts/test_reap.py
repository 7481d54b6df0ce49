"""``scripts.reap`` and ``scripts.expire_input``: the reaper's verdicts, re-checked in Redis."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import FailureReason, WorkflowFailed
from tests.agentjobs.scripts.jobs import (
    MAXLEN,
    RETENTION,
    WORKFLOW,
    asking,
    entries,
    queued,
    record,
    redis_ms,
    started,
)


def _failure(job_id: str, reason: FailureReason) -> WorkflowFailed:
    return WorkflowFailed(job_id=job_id, error=f"because {reason}", reason=reason)


async def _reap(redis: Redis, job_id: str, max_attempts: int = 3) -> scripts.ReapResult:
    return await scripts.reap(
        redis,
        job_id=job_id,
        event=_failure(job_id, "worker_lost"),
        metrics={"failed": "1"},
        max_attempts=max_attempts,
        requeue_check_ms=45_000,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )


async def _expire(redis: Redis, job_id: str) -> scripts.ExpireResult:
    return await scripts.expire_input(
        redis,
        job_id=job_id,
        event=_failure(job_id, "input_timeout"),
        metrics={"failed": "1"},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )


async def _lost(redis: Redis, on_worker_lost: str = "fail") -> str:
    """A started job whose lease ran out."""
    job_id = await queued(redis)
    await started(redis, job_id, "tok", on_worker_lost=on_worker_lost)
    await redis.delete(keys.lease(job_id))
    return job_id


async def test_a_lost_job_fails_with_the_event_given(redis: Redis) -> None:
    job_id = await _lost(redis)
    result = await _reap(redis, job_id)
    assert result.outcome is scripts.Reaping.REAPED
    stored = await record(redis, job_id)
    assert (stored["status"], stored["reason"]) == ("failed", "worker_lost")
    assert stored["error"] == "because worker_lost" and stored["finished_at"]
    last_id, last = (await entries(redis, job_id))[-1]
    assert last_id == result.cursor and last["t"] == "workflow_failed"
    assert await redis.zscore(keys.LEASES, job_id) is None
    assert await redis.hgetall(keys.METRICS) == {"failed": "1"}
    assert 0 < await redis.ttl(keys.job(job_id)) <= RETENTION


async def test_a_renewed_lease_keeps_the_job_and_moves_its_deadline(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok", lease_ms=50_000)
    await redis.zadd(keys.LEASES, {job_id: 0})  # as the reaper found it: overdue
    assert await _reap(redis, job_id) == scripts.ReapResult(scripts.Reaping.ALIVE)
    deadline = await redis.zscore(keys.LEASES, job_id)
    assert deadline is not None and deadline > await redis_ms(redis)
    assert (await record(redis, job_id))["status"] == "running"


async def test_a_lost_job_under_the_resume_policy_is_handed_back(redis: Redis) -> None:
    job_id = await _lost(redis, on_worker_lost="resume")
    before = await redis_ms(redis)
    result = await _reap(redis, job_id)
    assert result == scripts.ReapResult(scripts.Reaping.REQUEUED, workflow=WORKFLOW)
    stored = await record(redis, job_id)
    assert stored["resume"] == "1" and "token" not in stored
    check = await redis.zscore(keys.LEASES, job_id)
    assert check is not None and check >= before + 45_000
    # Not started since: the hand-back may have been lost, so it is handed back again.
    again = await _reap(redis, job_id)
    assert again == scripts.ReapResult(scripts.Reaping.REQUEUED, workflow=WORKFLOW)


async def test_a_job_out_of_attempts_fails_even_under_the_resume_policy(redis: Redis) -> None:
    job_id = await _lost(redis, on_worker_lost="resume")
    result = await _reap(redis, job_id, max_attempts=1)
    assert result.outcome is scripts.Reaping.REAPED


async def test_an_ended_or_missing_job_only_leaves_the_index(redis: Redis) -> None:
    job_id = await _lost(redis)
    await _reap(redis, job_id)
    await redis.zadd(keys.LEASES, {job_id: 0})
    assert await _reap(redis, job_id) == scripts.ReapResult(scripts.Reaping.GONE)
    assert await redis.zscore(keys.LEASES, job_id) is None
    assert await redis.hget(keys.METRICS, "failed") == "1"
    gone = uuid.uuid4().hex
    await redis.zadd(keys.LEASES, {gone: 0})
    assert await _reap(redis, gone) == scripts.ReapResult(scripts.Reaping.GONE)
    assert await redis.zscore(keys.LEASES, gone) is None


async def test_an_unanswered_suspended_question_fails_the_job(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    await scripts.suspend(redis, job_id=job_id, token="tok", request_id="req-1", deadline_ms=1)
    result = await _expire(redis, job_id)
    assert result.outcome is scripts.Expiry.EXPIRED
    stored = await record(redis, job_id)
    assert (stored["status"], stored["reason"]) == ("failed", "input_timeout")
    assert "pending" not in stored and "suspended" not in stored
    last_id, last = (await entries(redis, job_id))[-1]
    assert last_id == result.cursor and last["t"] == "workflow_failed"
    assert await redis.zscore(keys.INPUT_DEADLINES, job_id) is None
    assert await redis.hgetall(keys.METRICS) == {"failed": "1"}


async def test_a_question_held_by_a_worker_does_not_expire(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    await redis.zadd(keys.INPUT_DEADLINES, {job_id: 1})
    assert await _expire(redis, job_id) == scripts.ExpireResult(scripts.Expiry.GONE)
    assert (await record(redis, job_id))["status"] == "awaiting_input"
    assert await redis.zscore(keys.INPUT_DEADLINES, job_id) is None
