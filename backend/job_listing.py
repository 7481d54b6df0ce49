"""A user's jobs, a page at a time, newest first, optionally only those in some statuses.

Each user has an index of job ids by creation time; records retention removed are dropped from
it as they are met.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import JobRecord, JobStatus
from agentjobs.records import record_from_hash


async def user_jobs(
    redis: Redis, user: str, offset: int, limit: int, statuses: Collection[JobStatus] = ()
) -> tuple[list[JobRecord], int]:
    """A page of the user's jobs, newest first, and how many there are.

    With ``statuses``, only jobs in one of them, and the count counts those.
    """
    index = keys.user_jobs(user)
    if statuses:
        ids, total = await _matching_ids(redis, index, offset, limit, statuses)
    else:
        ids = cast(list[str], await redis.zrevrange(index, offset, offset + limit - 1))
        total = await redis.zcard(index)
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hgetall(keys.job(job_id))
        raws: list[dict[str, str]] = await pipe.execute()
    expired = [job_id for job_id, raw in zip(ids, raws, strict=True) if not raw]
    if expired:  # retention removed the record: drop it from the index too
        await redis.zrem(index, *expired)
    return [record_from_hash(raw) for raw in raws if raw], total - len(expired)


async def _matching_ids(
    redis: Redis, index: str, offset: int, limit: int, statuses: Collection[JobStatus]
) -> tuple[list[str], int]:
    """One page of the ids in ``index`` whose job has one of ``statuses``, and their count.

    Status lives only in each record, so every id's status is read (one pipelined round trip);
    a user's index holds only the jobs retention has kept.
    """
    ids = cast(list[str], await redis.zrevrange(index, 0, -1))
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hget(keys.job(job_id), "status")
        found: list[str | None] = await pipe.execute()
    gone = [job_id for job_id, st in zip(ids, found, strict=True) if st is None]
    if gone:  # retention removed the record: drop it from the index too
        await redis.zrem(index, *gone)
    wanted = {status.value for status in statuses}
    matching = [job_id for job_id, st in zip(ids, found, strict=True) if st in wanted]
    return matching[offset : offset + limit], len(matching)
