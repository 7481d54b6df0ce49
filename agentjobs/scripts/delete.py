"""The delete script: a finished job goes with every key it left, in one atomic step."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE

DELETE = LuaScript(
    "delete",
    PRELUDE
    + """
-- The check "is it finished, and the caller's" and the deletes are one step, so a job that is
-- still running (or that another user owns) is never half removed.
-- KEYS: job, events, journal, control, lease, user_jobs, user_active, leases, input_deadlines,
--       partial
-- ARGV: job_id, user
local job = redis.call('HMGET', KEYS[1], 'status', 'user', 'reply_id')
local st, owner, rid = job[1], job[2], job[3]
if not st or owner ~= ARGV[2] then return {'missing'} end
if not is_terminal(st) then return {'unfinished', st} end
-- keys.reply(id, rid) is keys.job(id) .. ':reply:' .. rid (see finish in the prelude); a job's
-- end removes it already, this covers a reply pushed by an older version.
if rid then redis.call('DEL', KEYS[1] .. ':reply:' .. rid) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[10])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('SREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('ZREM', KEYS[9], ARGV[1])
return {'ok', st}
""",
)


class Deletion(StrEnum):
    """What the delete script did."""

    DELETED = "ok"
    MISSING = "missing"
    """No such job, or another user's: nothing changed."""
    UNFINISHED = "unfinished"
    """The job is queued, running or awaiting input: nothing changed."""


@dataclass(frozen=True)
class DeleteResult:
    """The delete script's answer."""

    outcome: Deletion
    status: str = ""
    """The job's status (``DELETED``: the terminal one it had; ``UNFINISHED``: the current)."""


async def delete(redis: Redis, *, job_id: str, user: str) -> DeleteResult:
    """Remove ``user``'s finished job ``job_id``: its record, event log, partial stream,
    journal, reply and control lists, lease, and its entries in the user's job index and the
    reaper's indexes."""
    raw = await DELETE.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.journal(job_id),
            keys.control(job_id),
            keys.lease(job_id),
            keys.user_jobs(user),
            keys.user_active(user),
            keys.LEASES,
            keys.INPUT_DEADLINES,
            keys.partial(job_id),
        ],
        args=[job_id, user],
    )
    outcome = Deletion(raw[0])
    return DeleteResult(outcome, status=str(raw[1]) if len(raw) > 1 else "")
