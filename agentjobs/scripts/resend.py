"""The claim-unsent script: the reaper's pick of created jobs whose task may never have been sent.

``POST /jobs`` writes a job (the create script also puts it in ``keys.SENDING``), then sends its
task and removes it from that index. A job still in it past its deadline lost its send: the API
died in between, or the broker refused the task. The reaper claims such jobs here and sends
them again; the start script refuses a second start, so a duplicate task is harmless.
"""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE

CLAIM_UNSENT = LuaScript(
    "claim_unsent",
    PRELUDE
    + """
-- KEYS: sending; ARGV: job key prefix, job key suffix, next check ms, limit.
-- Due entries of jobs still queued are pushed back by a check interval (so two reapers do not
-- both send one) and returned as id, workflow pairs; entries of any other job are dropped.
local now = lease_deadline(0)
local claimed = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[4])) do
  local job = ARGV[1] .. id .. ARGV[2]
  local st = redis.call('HGET', job, 'status')
  if st == 'queued' and redis.call('HGET', job, 'attempt') == '0' then
    redis.call('ZADD', KEYS[1], lease_deadline(ARGV[3]), id)
    table.insert(claimed, id)
    table.insert(claimed, redis.call('HGET', job, 'workflow'))
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed
""",
)


async def claim_unsent(
    redis: Redis, *, next_check_ms: int, limit: int = 100
) -> list[tuple[str, str]]:
    """Jobs (id, workflow) whose send deadline passed while they are still queued and never
    started; each is due again ``next_check_ms`` from now unless ``sent`` removes it first."""
    flat = await CLAIM_UNSENT.run(
        redis, keys=[keys.SENDING], args=[*keys.job_key_affixes(), next_check_ms, limit]
    )
    return [(str(flat[i]), str(flat[i + 1])) for i in range(0, len(flat), 2)]


async def sent(redis: Redis, job_id: str) -> None:
    """The broker took the job's task: the reaper need not send it again."""
    await redis.zrem(keys.SENDING, job_id)
