"""The usage script: one model call's tokens and cost, added to every counter in one step.

The job's record (``usage_*`` fields), the user's day (its totals for the daily budgets, its
per-workflow-and-model counters for ``GET /usage``) and the metrics hash (Prometheus,
``agentjobs.usage_metrics``) never disagree, whoever reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.records import USAGE_FIELDS
from agentjobs.scripts.lua_script import LuaScript

RECORD_USAGE = LuaScript(
    "record_usage",
    """
-- KEYS: job, user_day, metrics
-- ARGV: prompt, completion, cost ('' when the model has no price), day ttl (s),
--       job fields (calls, prompt, completion, cost), the user's day breakdown fields of
--       this workflow and model (the same four), m, metric field/amount pairs...
local prompt, completion, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
-- A deleted job gets no new hash; its user and the deployment still paid for the call.
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[5], 1)
  redis.call('HINCRBY', KEYS[1], ARGV[6], prompt)
  redis.call('HINCRBY', KEYS[1], ARGV[7], completion)
  if cost ~= '' then redis.call('HINCRBYFLOAT', KEYS[1], ARGV[8], cost) end
end
redis.call('HINCRBY', KEYS[2], 'calls', 1)
redis.call('HINCRBY', KEYS[2], 'tokens', prompt + completion)
if cost ~= '' then redis.call('HINCRBYFLOAT', KEYS[2], 'cost', cost) end
redis.call('HINCRBY', KEYS[2], ARGV[9], 1)
redis.call('HINCRBY', KEYS[2], ARGV[10], prompt)
redis.call('HINCRBY', KEYS[2], ARGV[11], completion)
if cost ~= '' then redis.call('HINCRBYFLOAT', KEYS[2], ARGV[12], cost) end
redis.call('EXPIRE', KEYS[2], ARGV[4])
local m = tonumber(ARGV[13])
for i = 14, 13 + 2 * m, 2 do redis.call('HINCRBYFLOAT', KEYS[3], ARGV[i], ARGV[i + 1]) end
return 1
""",
)

USAGE_COUNTERS = ("calls", "prompt", "completion", "cost")
"""The counters of each ``[workflow, model]`` group in a ``keys.user_day_usage`` hash."""


def breakdown_field(workflow: str, model: str, counter: str) -> str:
    """A field of ``keys.user_day_usage``: one counter of one workflow and model."""
    return json.dumps([workflow, model, counter], separators=(",", ":"))


async def record_usage(
    redis: Redis,
    *,
    job_id: str,
    user: str,
    workflow: str,
    model: str,
    day: str,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: float | None,
    ttl_seconds: int,
    metrics: Mapping[str, float],
) -> None:
    """Add one call of ``model`` (made for ``job_id`` of ``user`` on the UTC ``day``) to the
    job, the user's day (kept ``ttl_seconds``) and ``metrics``."""
    fields = [breakdown_field(workflow, model, name) for name in USAGE_COUNTERS]
    pairs = [item for name, amount in metrics.items() for item in (name, repr(amount))]
    await RECORD_USAGE.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.user_day_usage(user, day),
            keys.METRICS,
        ],
        args=[
            prompt_tokens,
            completion_tokens,
            "" if cost_usd is None else repr(cost_usd),
            ttl_seconds,
            *USAGE_FIELDS,
            *fields,
            len(metrics),
            *pairs,
        ],
    )
