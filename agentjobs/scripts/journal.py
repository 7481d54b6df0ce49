"""The journal script: a worker records one outside result, fenced like every worker write."""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.journal import JournalEntry
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE

JOURNAL = LuaScript(
    "journal",
    PRELUDE
    + """
-- Record one outside result in the job's journal, fenced like every worker write.
-- KEYS: job, lease, journal; ARGV: token, entry
if not holds(KEYS[1], KEYS[2], ARGV[1]) then
  return 0
end
return redis.call('RPUSH', KEYS[3], ARGV[2])
""",
)


async def append_journal(redis: Redis, *, job_id: str, token: str, entry: JournalEntry) -> bool:
    """Append ``entry`` to the job's journal; False (nothing written) once ``token`` no longer
    holds the job and its lease."""
    length = await JOURNAL.run(
        redis,
        keys=[keys.job(job_id), keys.lease(job_id), keys.journal(job_id)],
        args=[token, entry.model_dump_json()],
    )
    return bool(length)
