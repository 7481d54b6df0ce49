"""The waiting script: a handed-back job says it waits for a worker of its version.

A job handed back to the queue (answered while suspended, or resumed after a lost worker)
replays only on the version it is pinned to; while no live worker serves that version the
API marks it, like a new job queued while no worker serves its workflow: ``waiting_for_worker``
on the record and a ``progress`` event. The start script clears the mark.
"""

from __future__ import annotations

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import Progress
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE, body

MARK_WAITING = LuaScript(
    "mark_waiting",
    PRELUDE
    + """
-- KEYS: job, events, live; ARGV: body, maxlen
-- Only while the job is handed back and no worker took it yet (START removes 'resume').
if redis.call('HGET', KEYS[1], 'resume') ~= '1' then return 0 end
if redis.call('HGET', KEYS[1], 'waiting_for_worker') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'waiting_for_worker', '1')
append(KEYS[2], KEYS[3], KEYS[1], 'progress', ARGV[1], ARGV[2])
return 1
""",
)


async def mark_waiting(redis: Redis, *, job_id: str, event: Progress, maxlen: int) -> bool:
    """Log ``event`` and set ``waiting_for_worker`` if the job is handed back and not started
    (and not marked already); True when it did."""
    marked = await MARK_WAITING.run(
        redis,
        keys=[keys.job(job_id), keys.events(job_id), keys.live(job_id)],
        args=[body(event), maxlen],
    )
    return bool(marked)
