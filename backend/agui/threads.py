"""AG-UI threads in Redis: each thread of a user runs one job; where its current run starts.

A thread is a hash (``keys.agui_thread``): ``job_id``, ``workflow``, ``after`` (the cursor the
current run starts after: ``0``, then the question a resume answered) and ``answered`` (the
request the last accepted resume answered, so a client repeating that resume re-attaches
instead of being refused). Shared by every API process; it lives as long as jobs do.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import START

CLAIM_SECONDS = 30
"""How long a thread's claim lasts before its job is bound: a process that died in between
leaves the thread usable again after this."""
STARTING = ""
"""``job_id`` of a claimed thread whose job is being started."""


@dataclass(frozen=True)
class Thread:
    """One AG-UI thread: its job and where its current run starts."""

    key: str
    job_id: str
    workflow: str
    after: str = START
    answered: str = ""

    @property
    def starting(self) -> bool:
        """True while another request is starting the thread's job."""
        return self.job_id == STARTING


async def load(redis: Redis, user: str, thread_id: str) -> Thread | None:
    """The user's thread, or None when it never ran (or expired)."""
    key = keys.agui_thread(user, thread_id)
    raw = await redis.hgetall(key)
    if not raw:
        return None
    fields = {_text(k): _text(v) for k, v in raw.items()}
    return Thread(
        key=key,
        job_id=fields.get("job_id", STARTING),
        workflow=fields.get("workflow", ""),
        after=fields.get("after", START),
        answered=fields.get("answered", ""),
    )


async def claim(redis: Redis, user: str, thread_id: str, workflow: str) -> Thread | None:
    """Claim a new thread for starting its job; None when another request has it already."""
    key = keys.agui_thread(user, thread_id)
    if not await redis.hsetnx(key, "job_id", STARTING):
        return None
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, "workflow", workflow)
        pipe.expire(key, CLAIM_SECONDS)
        await pipe.execute()
    return Thread(key=key, job_id=STARTING, workflow=workflow)


async def bind(redis: Redis, thread: Thread, job_id: str, ttl_seconds: int) -> Thread:
    """Record the job a claimed thread runs; the thread then lasts as long as jobs do."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(thread.key, mapping={"job_id": job_id, "after": START})
        pipe.expire(thread.key, ttl_seconds)
        await pipe.execute()
    return Thread(key=thread.key, job_id=job_id, workflow=thread.workflow)


async def release(redis: Redis, thread: Thread) -> None:
    """Give up a claim whose job could not start (the next request may start it)."""
    await redis.delete(thread.key)


async def advance(
    redis: Redis, thread: Thread, after: str, answered: str, ttl_seconds: int
) -> Thread:
    """Start the thread's next run after ``after`` (the request ``answered`` was resumed)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(thread.key, mapping={"after": after, "answered": answered})
        pipe.expire(thread.key, ttl_seconds)
        await pipe.execute()
    return Thread(thread.key, thread.job_id, thread.workflow, after, answered)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
