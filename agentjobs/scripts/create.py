"""The create script: a new job's record and its ``job_queued`` event, under the user's limit.

Where the broker is the job store's Redis, the script can also queue the job's run task (the
commands kombu would send for it, ``QueuedTask``): the job is recorded and queued in one step.
Otherwise the job goes into the sending index (``keys.SENDING``) until its task is queued
(``queue_task``) or the API confirms the broker took it: a job whose task never reached the
broker is sent again by the reaper.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import JobQueued, Progress
from agentjobs.records import field_pairs
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE, body

CREATE = LuaScript(
    "create",
    PRELUDE
    + """
-- KEYS: job, events, live, user_jobs, user_active, sending[, the run task's queue list]
-- ARGV: body, maxlen, score, job_id, n, field/value pairs...,
--       max_active (0: no limit), job key prefix, job key suffix, retention,
--       send check ms, waiting event body ('' when a worker serves the workflow),
--       the run task's message ('': the API sends it), then channel/message pairs to publish
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local q = 6 + 2 * tonumber(ARGV[5])
-- The user's active set only names candidates; each job's own status decides, so a job that
-- ended any way (success, failure, cancel, reaped, expired) frees its slot without any other
-- script having to know about the set. Pruned here, so it holds at most max_active ids.
local active = 0
for _, other in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  local st = redis.call('HGET', ARGV[q + 1] .. other .. ARGV[q + 2], 'status')
  if st and not is_terminal(st) then active = active + 1 else redis.call('SREM', KEYS[5], other) end
end
local limit = tonumber(ARGV[q])
if limit > 0 and active >= limit then return {'too_many', active} end
hset_pairs(KEYS[1], 6, tonumber(ARGV[5]))
count_unfinished(KEYS[1], 1)  -- when the fields pin a version
local id = append(KEYS[2], KEYS[3], KEYS[1], 'job_queued', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[q + 3])
if ARGV[q + 5] ~= '' then append(KEYS[2], KEYS[3], KEYS[1], 'progress', ARGV[q + 5], ARGV[2]) end
if ARGV[q + 6] == '' then
  redis.call('ZADD', KEYS[6], lease_deadline(ARGV[q + 4]), ARGV[4])
else
  redis.call('LPUSH', KEYS[7], ARGV[q + 6])
  for i = q + 7, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
end
return {'ok', id}
""",
)


QUEUE_TASK = LuaScript(
    "queue_task",
    """
-- KEYS: the run task's queue list, sending; ARGV: job id, message, channel/message pairs...
-- A created job's run task, queued after its record: it leaves the reaper's sending index.
redis.call('LPUSH', KEYS[1], ARGV[2])
for i = 3, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
""",
)


class Creation(StrEnum):
    """What the create script did."""

    CREATED = "ok"
    EXISTS = "exists"
    """A job with this id is already stored; nothing was written."""
    TOO_MANY = "too_many"
    """The user already has ``max_active`` active jobs; nothing was written."""


@dataclass(frozen=True)
class QueuedTask:
    """A run task as the Redis commands its broker would get: the message pushed on its queue's
    list, and messages published (Celery's task-sent event, for Flower)."""

    queue_list: str
    message: str
    published: tuple[tuple[str, str], ...] = ()
    """(channel, message) pairs."""

    @property
    def published_args(self) -> list[str]:
        """``published`` flat, as the scripts take it: channel, message, channel, ..."""
        return [part for pair in self.published for part in pair]

    @classmethod
    def of(cls, commands: Sequence[tuple[str, tuple[Any, ...]]]) -> QueuedTask:
        """From kombu's commands for one task (``agentjobs.kombu_redis``): one ``lpush``, any
        ``publish``; raises ``ValueError`` for anything else (this script runs no other)."""
        pushed = [args for name, args in commands if name == "lpush"]
        published = tuple((str(a[0]), str(a[1])) for name, a in commands if name == "publish")
        if len(pushed) != 1 or len(pushed) + len(published) != len(commands):
            raise ValueError(f"not one queued task: {[name for name, _ in commands]}")
        (queue_list, message), *_ = pushed
        return cls(str(queue_list), str(message), published)


@dataclass(frozen=True)
class CreateResult:
    """The create script's answer."""

    outcome: Creation
    cursor: str = ""
    """The ``job_queued`` event's cursor (``CREATED`` only)."""
    active: int = 0
    """How many active jobs the user has (``TOO_MANY`` only)."""


async def create(
    redis: Redis,
    *,
    job_id: str,
    user: str,
    event: JobQueued,
    fields: Mapping[str, str],
    max_active: int,
    maxlen: int,
    retention_seconds: int,
    send_check_ms: int = 60_000,
    waiting: Progress | None = None,
    task: QueuedTask | None = None,
) -> CreateResult:
    """Store the record ``fields`` and append ``event``, unless the job exists or ``user``
    already has ``max_active`` (> 0) active jobs; the count and the write are one atomic step.

    The job is indexed under ``user`` by the event's time; ``user``'s active set expires after
    ``retention_seconds`` of no new jobs. ``task``: the run task, queued with the job; without
    it the job is in ``keys.SENDING`` for ``send_check_ms`` (the API removes it once the broker
    took the task). ``waiting``: the event saying no live worker serves the workflow, logged
    right after ``job_queued``.
    """
    raw = await CREATE.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.user_jobs(user),
            keys.user_active(user),
            keys.SENDING,
            *([task.queue_list] if task else []),
        ],
        args=[
            body(event),
            maxlen,
            event.ts.timestamp(),
            job_id,
            *field_pairs(dict(fields)),
            max_active,
            *keys.job_key_affixes(),
            retention_seconds,
            send_check_ms,
            body(waiting) if waiting else "",
            *([task.message, *task.published_args] if task else [""]),
        ],
    )
    outcome = Creation(raw[0])
    if outcome is Creation.CREATED:
        return CreateResult(outcome, cursor=str(raw[1]))
    if outcome is Creation.TOO_MANY:
        return CreateResult(outcome, active=int(raw[1]))
    return CreateResult(outcome)


async def queue_task(redis: Redis, job_id: str, task: QueuedTask) -> None:
    """Queue the run task of a job created without one, and take it out of ``keys.SENDING``
    (what ``sent`` does after a broker's send), in one step."""
    await QUEUE_TASK.run(
        redis,
        keys=[task.queue_list, keys.SENDING],
        args=[job_id, task.message, *task.published_args],
    )
