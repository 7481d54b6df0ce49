"""The cancel script: a firm cancel, terminal at once; the worker running the job is told."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import WorkflowCancelled
from agentjobs.records import field_pairs
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE, body

CANCEL = LuaScript(
    "cancel",
    PRELUDE
    + """
-- Firm cancel: the job is terminal at once, whatever its code does next; the worker running
-- it is told through the control list and stops it.
-- KEYS: job, events, live, control, lease, leases, metrics
-- ARGV: body, maxlen, finished_at, retention, job_id, m, metric field/amount pairs...
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
if is_terminal(st) then return {'finished', st} end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[3])
local id = append(KEYS[2], KEYS[3], KEYS[1], 'workflow_cancelled', ARGV[1], ARGV[2])
finish(KEYS[1], KEYS[2], ARGV[4])
if st ~= 'queued' then
  redis.call('RPUSH', KEYS[4], 'cancel')
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
redis.call('DEL', KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[5])
count_end(KEYS[7], 6)
return {'ok', id, st}
""",
)


class Cancellation(StrEnum):
    """What the cancel script did."""

    CANCELLED = "ok"
    MISSING = "missing"
    FINISHED = "finished"
    """The job had already ended; nothing changed."""


@dataclass(frozen=True)
class CancelResult:
    """The cancel script's answer."""

    outcome: Cancellation
    cursor: str = ""
    """The ``workflow_cancelled`` event's cursor (``CANCELLED`` only)."""
    status: str = ""
    """The status before the cancel (``CANCELLED``), or the job's final one (``FINISHED``)."""


async def cancel(
    redis: Redis,
    *,
    job_id: str,
    event: WorkflowCancelled,
    metrics: Mapping[str, str],
    maxlen: int,
    retention_seconds: int,
) -> CancelResult:
    """End the job as cancelled at ``event.ts``, add ``metrics`` (field/amount pairs) to the
    metrics hash, and, when a worker may hold it, push ``cancel`` onto its control list."""
    raw = await CANCEL.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.control(job_id),
            keys.lease(job_id),
            keys.LEASES,
            keys.METRICS,
        ],
        args=[
            body(event),
            maxlen,
            event.ts.isoformat(),
            retention_seconds,
            job_id,
            *field_pairs(dict(metrics)),
        ],
    )
    outcome = Cancellation(raw[0])
    if outcome is Cancellation.CANCELLED:
        return CancelResult(outcome, cursor=str(raw[1]), status=str(raw[2]))
    return CancelResult(outcome, status=str(raw[1]) if len(raw) > 1 else "")
