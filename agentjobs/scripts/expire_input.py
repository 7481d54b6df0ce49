"""The expire-input script: fail a suspended job whose question went unanswered too long."""

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

EXPIRE_INPUT = LuaScript(
    "expire_input",
    PRELUDE
    + """
-- Fail a suspended job whose question went unanswered past its deadline (no worker holds it).
-- KEYS: job, events, live, input_deadlines, metrics
-- ARGV: job_id, body, maxlen, retention, finished_at, error, m, metric field/amount pairs...
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'awaiting_input' or redis.call('HGET', KEYS[1], 'suspended') ~= '1' then
  redis.call('ZREM', KEYS[4], ARGV[1])
  return {'gone'}
end
local id = fail_unheld(KEYS[1], KEYS[2], KEYS[3], KEYS[5], 'input_timeout', 7)
redis.call('ZREM', KEYS[4], ARGV[1])
return {'expired', id}
""",
)


class Expiry(StrEnum):
    """What the expire-input script did with a job from the input-deadlines index."""

    GONE = "gone"
    """Answered, ended or expired meanwhile: dropped from the index."""
    EXPIRED = "expired"
    """Failed with ``input_timeout``."""


@dataclass(frozen=True)
class ExpireResult:
    """The expire-input script's answer."""

    outcome: Expiry
    cursor: str = ""
    """The ``workflow_failed`` event's cursor (``EXPIRED`` only)."""


async def expire_input(
    redis: Redis,
    *,
    job_id: str,
    event: WorkflowFailed,
    metrics: Mapping[str, str],
    maxlen: int,
    retention_seconds: int,
) -> ExpireResult:
    """Fail the job with ``event`` (reason ``input_timeout``) if it is still suspended waiting
    for an answer, adding ``metrics`` (field/amount pairs) to the metrics hash."""
    raw = await EXPIRE_INPUT.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.INPUT_DEADLINES,
            keys.METRICS,
        ],
        args=[
            *unheld_failure_args(job_id, event, maxlen=maxlen, retention_seconds=retention_seconds),
            *field_pairs(dict(metrics)),
        ],
    )
    outcome = Expiry(raw[0])
    return ExpireResult(outcome, cursor=str(raw[1]) if outcome is Expiry.EXPIRED else "")
