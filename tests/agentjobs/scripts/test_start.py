"""``scripts.start`` gives the job, its lease and its record to exactly one start."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import JobStatus, WorkflowCancelled
from tests.agentjobs.scripts.jobs import (
    MAXLEN,
    RETENTION,
    entries,
    queued,
    record,
    redis_ms,
    started,
)


async def test_start_takes_a_queued_job_with_its_lease(redis: Redis) -> None:
    job_id = await queued(redis)
    before = await redis_ms(redis)
    result = await started(redis, job_id, "tok-1", lease_ms=20_000, on_worker_lost="resume")
    assert result.outcome is scripts.StartOutcome.STARTED
    assert result.record is not None and result.record.status is JobStatus.RUNNING
    assert result.record.worker == "w1" and result.record.attempt == 1
    assert result.record.last_event_id == result.cursor
    stored = await record(redis, job_id)
    assert stored["token"] == "tok-1" and stored["on_worker_lost"] == "resume"
    assert await redis.get(keys.lease(job_id)) == "tok-1"
    assert 0 < await redis.pttl(keys.lease(job_id)) <= 20_000
    deadline = await redis.zscore(keys.LEASES, job_id)
    assert deadline is not None and before + 20_000 <= deadline <= await redis_ms(redis) + 20_000
    assert [fields["t"] for _, fields in await entries(redis, job_id)] == [
        "job_queued",
        "workflow_started",
    ]


async def test_the_same_start_again_resumes_and_another_is_refused(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok-1")
    again = await started(redis, job_id, "tok-1")
    assert again.outcome is scripts.StartOutcome.RESUMED and again.record is not None
    assert again.cursor == "" and again.record.attempt == 1
    other = await started(redis, job_id, "tok-2")
    assert other == scripts.StartResult(scripts.StartOutcome.ALREADY_STARTED, status="running")
    assert await redis.get(keys.lease(job_id)) == "tok-1"


async def test_a_finished_or_missing_job_is_not_started(redis: Redis) -> None:
    job_id = await queued(redis)
    await scripts.cancel(
        redis,
        job_id=job_id,
        event=WorkflowCancelled(job_id=job_id),
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    finished = await started(redis, job_id, "tok-1")
    assert finished == scripts.StartResult(scripts.StartOutcome.FINISHED, status="cancelled")
    missing = await started(redis, uuid.uuid4().hex, "tok-1")
    assert missing == scripts.StartResult(scripts.StartOutcome.MISSING)
    assert await redis.exists(keys.lease(job_id)) == 0


async def test_the_celery_state_is_written_and_published_when_the_job_is_taken(
    redis: Redis,
) -> None:
    job_id = await queued(redis)
    state = scripts.CeleryState(f"celery-task-meta-{job_id}", '{"status": "STARTED"}', 600)
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(state.key)
        assert (await pubsub.get_message(timeout=5))["type"] == "subscribe"  # type: ignore[index]
        result = await started(redis, job_id, "tok-1", celery_state=state)
        published = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
    assert result.outcome is scripts.StartOutcome.STARTED
    assert published is not None and published["data"] == state.value
    assert await redis.get(state.key) == state.value
    assert 0 < await redis.ttl(state.key) <= 600


async def test_a_start_that_does_not_take_the_job_writes_no_celery_state(redis: Redis) -> None:
    job_id = await queued(redis)
    state = scripts.CeleryState(f"celery-task-meta-{job_id}", '{"status": "STARTED"}', 0)
    await started(redis, job_id, "tok-1")
    again = await started(redis, job_id, "tok-1", celery_state=state)
    other = await started(redis, job_id, "tok-2", celery_state=state)
    assert again.outcome is scripts.StartOutcome.RESUMED  # the same start, sent twice
    assert other.outcome is scripts.StartOutcome.ALREADY_STARTED
    assert not await redis.exists(state.key)
    # A job handed back on purpose is taken again: its state is written, for ever with ttl 0.
    await redis.hset(keys.job(job_id), "resume", "1")
    resumed = await started(redis, job_id, "tok-3", celery_state=state)
    assert resumed.outcome is scripts.StartOutcome.RESUMED
    assert await redis.get(state.key) == state.value and await redis.ttl(state.key) == -1
