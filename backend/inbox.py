"""Reading a user's inbox: the pending requests listed for them by the scripts that set and
clear a job's pending request (``agentjobs.scripts.inbox``), with their jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from pydantic import TypeAdapter
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import InboxItem, InputRequest

_REQUEST: TypeAdapter[InputRequest] = TypeAdapter(InputRequest)
_FIELDS = ("workflow", "user", "pending")


async def inbox_count(redis: Redis, user: str) -> int:
    """How many requests wait for ``user``."""
    return int(await redis.zcard(keys.user_inbox(user)))


async def read_inbox(redis: Redis, user: str, limit: int) -> list[InboxItem]:
    """Up to ``limit`` of ``user``'s pending requests, oldest first.

    One read of the index and one pipelined read of the listed jobs: never a scan. A listed
    job whose record is gone (deleted, expired) is dropped from the index here.
    """
    index = keys.user_inbox(user)
    listed = cast(list[tuple[str, float]], await redis.zrange(index, 0, limit - 1, withscores=True))
    async with redis.pipeline(transaction=False) as pipe:
        for job_id, _ in listed:
            pipe.hmget(keys.job(job_id), _FIELDS)
        rows: list[list[str | None]] = await pipe.execute()
    items, gone = [], []
    for (job_id, asked_ms), (workflow, owner, pending) in zip(listed, rows, strict=True):
        if workflow is None or owner is None or pending is None:
            gone.append(job_id)
            continue
        request = _REQUEST.validate_json(pending)
        asked_at = datetime.fromtimestamp(asked_ms / 1000, UTC)
        items.append(
            InboxItem(
                job_id=job_id,
                workflow=workflow,
                owner=owner,
                request=request,
                asked_at=asked_at,
                deadline=request.deadline,
            )
        )
    if gone:
        await redis.zrem(index, *gone)
    return items


async def request_job(redis: Redis, request_id: str) -> str | None:
    """The job ``request_id`` was asked in, while the job is kept (None: unknown)."""
    return cast(str | None, await redis.get(keys.request_job(request_id)))
