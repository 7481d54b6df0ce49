"""``scripts.delete`` removes a finished job with every key it left, and nothing else."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import WorkflowCancelled
from tests.agentjobs.scripts.jobs import MAXLEN, RETENTION, asking, queued, record, started


async def _cancelled(redis: Redis, job_id: str) -> None:
    result = await scripts.cancel(
        redis,
        job_id=job_id,
        event=WorkflowCancelled(job_id=job_id, by="ann"),
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert result.outcome is scripts.Cancellation.CANCELLED


async def _job_keys(redis: Redis, job_id: str) -> list[str]:
    """Every key in the job's hash tag (its record, log, journal, replies, control, lease)."""
    return sorted([key async for key in redis.scan_iter(match=f"*{{{job_id}}}*")])


async def test_a_finished_job_goes_with_all_its_keys_and_index_entries(redis: Redis) -> None:
    job_id = await queued(redis, user="ann")
    kept = await queued(redis, user="ann")
    await started(redis, job_id, "tok")
    await _cancelled(redis, job_id)  # a running job's cancel leaves a control message
    # Leftovers an older version could leave: a journal entry and an unpopped reply.
    await redis.rpush(keys.journal(job_id), "{}")
    await redis.rpush(keys.reply(job_id, "r1"), '"x"')
    await redis.hset(keys.job(job_id), "reply_id", "r1")
    assert keys.control(job_id) in await _job_keys(redis, job_id)
    assert keys.events(job_id) in await _job_keys(redis, job_id)

    result = await scripts.delete(redis, job_id=job_id, user="ann")

    assert result == scripts.DeleteResult(scripts.Deletion.DELETED, status="cancelled")
    assert await _job_keys(redis, job_id) == []
    assert await redis.zrange(keys.user_jobs("ann"), 0, -1) == [kept]
    assert not await redis.sismember(keys.user_active("ann"), job_id)
    assert (await record(redis, kept))["status"] == "queued"
    again = await scripts.delete(redis, job_id=job_id, user="ann")
    assert again.outcome is scripts.Deletion.MISSING


async def test_an_unfinished_job_is_left_whole(redis: Redis) -> None:
    waiting = await queued(redis)
    await started(redis, waiting, "tok")
    await asking(redis, waiting, "tok", "r1")
    running = await queued(redis)
    await started(redis, running, "tok2")
    fresh = await queued(redis)
    for job_id, status in [(fresh, "queued"), (running, "running"), (waiting, "awaiting_input")]:
        before = await _job_keys(redis, job_id)
        result = await scripts.delete(redis, job_id=job_id, user="ann")
        assert result == scripts.DeleteResult(scripts.Deletion.UNFINISHED, status=status)
        assert await _job_keys(redis, job_id) == before
    assert await redis.zcard(keys.user_jobs("ann")) == 3


async def test_another_users_job_or_an_unknown_one_is_missing(redis: Redis) -> None:
    job_id = await queued(redis, user="ann")
    await _cancelled(redis, job_id)
    before = await _job_keys(redis, job_id)
    theirs = await scripts.delete(redis, job_id=job_id, user="bob")
    assert theirs == scripts.DeleteResult(scripts.Deletion.MISSING)
    assert await _job_keys(redis, job_id) == before
    assert await redis.zrange(keys.user_jobs("ann"), 0, -1) == [job_id]
    unknown = await scripts.delete(redis, job_id="nope", user="ann")
    assert unknown.outcome is scripts.Deletion.MISSING
