"""The suspend script: a job waiting for a human lets go of its worker and its lease."""

from __future__ import annotations

from enum import StrEnum

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE

SUSPEND = LuaScript(
    "suspend",
    PRELUDE
    + """
-- Let go of a job that waits for a human: no worker slot, no lease; the answer requeues it.
-- KEYS: job, lease, leases, input_deadlines
-- ARGV: token, request_id, input deadline (epoch ms; '' for none), job_id
if not holds(KEYS[1], KEYS[2], ARGV[1]) then
  return {'fenced'}
end
if redis.call('HGET', KEYS[1], 'status') ~= 'awaiting_input'
    or redis.call('HGET', KEYS[1], 'pending_id') ~= ARGV[2] then
  return {'answered'}
end
redis.call('HSET', KEYS[1], 'suspended', '1')
redis.call('HDEL', KEYS[1], 'token')
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[4])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4]) end
return {'suspended'}
""",
)


class Suspension(StrEnum):
    """What the suspend script did."""

    SUSPENDED = "suspended"
    """No worker holds the job now; the answer will requeue it."""
    ANSWERED = "answered"
    """The question was answered meanwhile: the job stays with the caller."""
    FENCED = "fenced"
    """The token or the lease is not the caller's any more."""


async def suspend(
    redis: Redis, *, job_id: str, token: str, request_id: str, deadline_ms: int | None
) -> Suspension:
    """Release the job ``token`` holds while it waits for ``request_id``; a ``deadline_ms``
    (epoch ms, Redis clock) puts it in the input-deadlines index the reaper expires it from."""
    raw = await SUSPEND.run(
        redis,
        keys=[keys.job(job_id), keys.lease(job_id), keys.LEASES, keys.INPUT_DEADLINES],
        args=[token, request_id, "" if deadline_ms is None else deadline_ms, job_id],
    )
    return Suspension(raw[0])
