"""The webhook delivery scripts: claim the deliveries that are due, and settle one attempt.

Deliveries are recorded by the job's own writes (``agentjobs.scripts.outbox``); the workers'
pump claims the due ones and sends a task for each, the task makes one attempt and settles it.
A claim pushes the delivery's due time ahead by a lease, so a task lost with its worker is sent
again once the lease is over (at least once: the receiver may see an id twice, never two ids
for one event).
"""

from __future__ import annotations

from typing import Literal, cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript

_NOW = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
"""

CLAIM = LuaScript(
    "webhook_claim",
    _NOW
    + """
-- KEYS: due; ARGV: limit, lease_ms
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), member)
end
return due
""",
)

SETTLE = LuaScript(
    "webhook_settle",
    _NOW
    + """
-- KEYS: delivery, due, job's index
-- ARGV: due member, result ('delivered' | 'refused' | 'error'), last error, response status,
--       retry in ms, retry window ms, retention seconds
local st = redis.call('HGET', KEYS[1], 'status')
if not st then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 'missing'
end
if st == 'delivered' or st == 'failed' or st == 'refused' then
  -- Another attempt (a task sent again after its claim lapsed) settled it first.
  redis.call('ZREM', KEYS[2], ARGV[1])
  return st
end
local status = ARGV[2]
local next_at = now + tonumber(ARGV[5])
if status == 'error' then
  local created = tonumber(redis.call('HGET', KEYS[1], 'created_ms'))
  if next_at - created > tonumber(ARGV[6]) then status = 'failed' else status = 'retrying' end
end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', status, 'last_error', ARGV[3], 'response_status', ARGV[4],
  'last_attempt_ms', now)
if status == 'retrying' then
  redis.call('HSET', KEYS[1], 'next_attempt_ms', next_at)
  redis.call('ZADD', KEYS[2], next_at, ARGV[1])
else
  redis.call('HDEL', KEYS[1], 'next_attempt_ms')
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[7])
  redis.call('EXPIRE', KEYS[3], ARGV[7])
end
return status
""",
)

AttemptResult = Literal["delivered", "refused", "error"]
"""What one attempt came to: the receiver took it (2xx), the destination is not allowed, or it
failed (no answer, a timeout, a non-2xx status) and may be retried."""


async def claim_due(redis: Redis, *, limit: int, lease_ms: int) -> list[tuple[str, str]]:
    """Up to ``limit`` due deliveries as ``(job_id, webhook_id)``, each claimed for ``lease_ms``."""
    raw = cast(list[str], await CLAIM.run(redis, keys=[keys.WEBHOOKS_DUE], args=[limit, lease_ms]))
    return [cast(tuple[str, str], tuple(member.split(" ", 1))) for member in raw]


async def settle(
    redis: Redis,
    *,
    job_id: str,
    webhook_id: str,
    result: AttemptResult,
    error: str,
    response_status: int | None,
    retry_in_ms: int,
    retry_window_ms: int,
    retention_seconds: int,
) -> str:
    """Record one attempt; returns the delivery's status after it.

    An ``error`` becomes ``retrying`` (due again in ``retry_in_ms``) or, past ``retry_window_ms``
    from the event, ``failed``. A delivery that ended keeps its record ``retention_seconds``.
    """
    return cast(
        str,
        await SETTLE.run(
            redis,
            keys=[keys.webhook(job_id, webhook_id), keys.WEBHOOKS_DUE, keys.job_webhooks(job_id)],
            args=[
                keys.webhook_due_member(job_id, webhook_id),
                result,
                error,
                "" if response_status is None else response_status,
                retry_in_ms,
                retry_window_ms,
                retention_seconds,
            ],
        ),
    )
