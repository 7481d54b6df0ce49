"""``scripts.cancel`` ends a job at once and tells the worker holding it."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import WorkflowCancelled
from tests.agentjobs.scripts.jobs import MAXLEN, RETENTION, entries, queued, record, started


async def _cancel(redis: Redis, job_id: str, metrics: dict[str, str]) -> scripts.CancelResult:
    return await scripts.cancel(
        redis,
        job_id=job_id,
        event=WorkflowCancelled(job_id=job_id, by="admin"),
        metrics=metrics,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )


async def test_cancelling_a_queued_job_ends_it_without_a_control_message(redis: Redis) -> None:
    job_id = await queued(redis)
    result = await _cancel(redis, job_id, {"cancelled": "1"})
    assert result.outcome is scripts.Cancellation.CANCELLED and result.status == "queued"
    stored = await record(redis, job_id)
    assert stored["status"] == "cancelled" and stored["finished_at"]
    last_id, last = (await entries(redis, job_id))[-1]
    assert last_id == result.cursor and last["t"] == "workflow_cancelled"
    assert await redis.exists(keys.control(job_id)) == 0
    assert await redis.hgetall(keys.METRICS) == {"cancelled": "1"}
    assert 0 < await redis.ttl(keys.job(job_id)) <= RETENTION


async def test_cancelling_a_running_job_tells_its_worker_and_drops_the_lease(
    redis: Redis,
) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    result = await _cancel(redis, job_id, {})
    assert result.outcome is scripts.Cancellation.CANCELLED and result.status == "running"
    assert await redis.lrange(keys.control(job_id), 0, -1) == ["cancel"]
    assert await redis.exists(keys.lease(job_id)) == 0
    assert await redis.zscore(keys.LEASES, job_id) is None
    assert "token" not in await record(redis, job_id)


async def test_a_finished_or_missing_job_is_left_alone(redis: Redis) -> None:
    job_id = await queued(redis)
    await _cancel(redis, job_id, {"cancelled": "1"})
    again = await _cancel(redis, job_id, {"cancelled": "1"})
    assert again == scripts.CancelResult(scripts.Cancellation.FINISHED, status="cancelled")
    assert await redis.hget(keys.METRICS, "cancelled") == "1"
    missing = await _cancel(redis, "nope", {})
    assert missing == scripts.CancelResult(scripts.Cancellation.MISSING)
