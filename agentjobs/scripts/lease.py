"""The renew-lease script: a worker extends its own lease, and the reaper's index with it."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE

RENEW_LEASE = LuaScript(
    "renew_lease",
    PRELUDE
    + """
-- KEYS: lease, leases, job; ARGV: token, lease_ms, job_id. Renews only the caller's own
-- lease; one that lapsed while nobody took the job over (Redis was down) is taken back.
if not holds(KEYS[3], KEYS[1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], lease_deadline(ARGV[2]), ARGV[3])
return 1
""",
)


async def renew_lease(redis: Redis, *, job_id: str, token: str, lease_ms: int) -> bool:
    """Extend the lease held with ``token`` to ``lease_ms`` from now; False when the job is not
    ``token``'s any more (taken over by the reaper, suspended, or ended)."""
    renewed = await RENEW_LEASE.run(
        redis,
        keys=[keys.lease(job_id), keys.LEASES, keys.job(job_id)],
        args=[token, lease_ms, job_id],
    )
    return bool(renewed)
