"""The reap script: the reaper's verdict on one job whose lease deadline passed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import WorkflowFailed
from agentjobs.records import field_pairs
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE, unheld_failure_args

REAP = LuaScript(
    "reap",
    PRELUDE
    + """
-- Fail a job whose worker stopped renewing its lease. Re-checks everything inside the script:
-- the job may have ended, or its lease been renewed, since the reaper looked.
-- KEYS: job, events, live, lease, leases, metrics
-- ARGV: job_id, body, maxlen, retention, finished_at, error, max_attempts, requeue_check_ms,
--       m, metric field/amount pairs...
local st = redis.call('HGET', KEYS[1], 'status')
if not st or is_terminal(st) then
  redis.call('ZREM', KEYS[5], ARGV[1])
  return {'gone'}
end
local ttl = redis.call('PTTL', KEYS[4])
if ttl > 0 then
  redis.call('ZADD', KEYS[5], lease_deadline(ttl), ARGV[1])
  return {'alive'}
end
if redis.call('HGET', KEYS[1], 'resume') == '1' then
  -- Handed back to the queue and not started since: that hand-back may have been lost. Hand
  -- it back again; should both arrive, the second start is refused.
  redis.call('ZADD', KEYS[5], lease_deadline(ARGV[8]), ARGV[1])
  return {'requeue', redis.call('HGET', KEYS[1], 'workflow')}
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempt') or '0')
if redis.call('HGET', KEYS[1], 'on_worker_lost') == 'resume'
    and attempts < tonumber(ARGV[7]) then
  redis.call('HDEL', KEYS[1], 'token')
  redis.call('HSET', KEYS[1], 'resume', '1')
  redis.call('ZADD', KEYS[5], lease_deadline(ARGV[8]), ARGV[1])
  return {'requeue', redis.call('HGET', KEYS[1], 'workflow')}
end
local id = fail_unheld(KEYS[1], KEYS[2], KEYS[3], KEYS[6], 'worker_lost', 9)
redis.call('ZREM', KEYS[5], ARGV[1])
return {'reaped', id}
""",
)


class Reaping(StrEnum):
    """What the reap script did with a job from the leases index."""

    GONE = "gone"
    """The job ended or expired: dropped from the index."""
    ALIVE = "alive"
    """Its lease was renewed meanwhile: the index has its new deadline."""
    REQUEUED = "requeue"
    """No worker holds it and it may resume: the caller must put it back on the queue."""
    REAPED = "reaped"
    """Failed with ``worker_lost``."""


@dataclass(frozen=True)
class ReapResult:
    """The reap script's answer."""

    outcome: Reaping
    cursor: str = ""
    """The ``workflow_failed`` event's cursor (``REAPED`` only)."""
    workflow: str = ""
    """The job's workflow, to requeue it by name (``REQUEUED`` only)."""


async def reap(
    redis: Redis,
    *,
    job_id: str,
    event: WorkflowFailed,
    metrics: Mapping[str, str],
    max_attempts: int,
    requeue_check_ms: int,
    maxlen: int,
    retention_seconds: int,
) -> ReapResult:
    """Decide a job whose lease deadline passed: requeue it (handed back but not started, or
    lost under the ``resume`` policy with fewer than ``max_attempts`` attempts; checked again
    after ``requeue_check_ms``), or fail it with ``event`` (reason ``worker_lost``) and add
    ``metrics`` (field/amount pairs) to the metrics hash."""
    raw = await REAP.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.lease(job_id),
            keys.LEASES,
            keys.METRICS,
        ],
        args=[
            *unheld_failure_args(job_id, event, maxlen=maxlen, retention_seconds=retention_seconds),
            max_attempts,
            requeue_check_ms,
            *field_pairs(dict(metrics)),
        ],
    )
    outcome = Reaping(raw[0])
    if outcome is Reaping.REAPED:
        return ReapResult(outcome, cursor=str(raw[1]))
    if outcome is Reaping.REQUEUED:
        return ReapResult(outcome, workflow=str(raw[1]))
    return ReapResult(outcome)
