"""The start script: a worker takes a queued (or handed-back) job and its lease."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import JobRecord, WorkflowStarted
from agentjobs.records import record_from_hash
from agentjobs.scripts.lua_script import Arg, LuaScript
from agentjobs.scripts.prelude import PRELUDE, body
from agentjobs.versions import DEFAULT_VERSION

START = LuaScript(
    "start",
    PRELUDE
    + """
-- KEYS: job, events, live, lease, leases[, Celery's result key]
-- ARGV: token, worker, body, maxlen, started_at, lease_ms, job_id, on_worker_lost, version
--       [, Celery's STARTED value, its seconds to live (0: none)]
local function mirror_started()
  -- As Celery's result backend writes a state: the value, then published on its key.
  if not KEYS[6] then return end
  if ARGV[11] ~= '0' then
    redis.call('SET', KEYS[6], ARGV[10], 'EX', ARGV[11])
  else
    redis.call('SET', KEYS[6], ARGV[10])
  end
  redis.call('PUBLISH', KEYS[6], ARGV[10])
end
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
if is_terminal(st) then return {'finished', st} end
local resumed = redis.call('HGET', KEYS[1], 'resume') == '1'
if st ~= 'queued' and not resumed and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  -- This very start, sent again by the client's retry after a lost reply: it holds the job.
  -- Said as a resume, so the run reads the journal whichever way the first call went.
  return {'ok', '', 'resumed', redis.call('HGETALL', KEYS[1])}
end
-- A started job runs again only when it was handed back on purpose (answered while suspended,
-- or its worker was lost under the resume policy): never because a message came twice.
if st ~= 'queued' and not resumed then return {'already_started', st} end
-- A job pinned to another version runs only on that version's code: refused, untouched.
local pinned = redis.call('HGET', KEYS[1], 'workflow_version')
if pinned and pinned ~= ARGV[9] then return {'wrong_version', pinned, resumed and '1' or '0'} end
if not pinned then
  -- Queued while no worker served the workflow (or recorded before versions): it runs on
  -- this worker's version from now on, replays included.
  redis.call('HSET', KEYS[1], 'workflow_version', ARGV[9])
  count_unfinished(KEYS[1], 1)
end
redis.call('HDEL', KEYS[1], 'resume', 'suspended', 'waiting_for_worker')
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'worker', ARGV[2], 'on_worker_lost', ARGV[8])
redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[5], lease_deadline(ARGV[6]), ARGV[7])
mirror_started()
-- The record comes back with the outcome: the worker needs it, and this saves a round trip.
if resumed then return {'ok', '', 'resumed', redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[5])
local id = append(KEYS[2], KEYS[3], KEYS[1], 'workflow_started', ARGV[3], ARGV[4])
return {'ok', id, 'started', redis.call('HGETALL', KEYS[1])}
""",
)


class StartOutcome(StrEnum):
    """What happened when the worker tried to start a job."""

    STARTED = "started"
    RESUMED = "resumed"
    """Handed back after a suspension or a lost worker: replay from the journal."""
    MISSING = "missing"
    FINISHED = "finished"
    """Already terminal (for instance cancelled while queued): it must not run."""
    ALREADY_STARTED = "already_started"
    """Another delivery of a job that already began: never run twice behind the user's back."""
    WRONG_VERSION = "wrong_version"
    """The job is pinned to another version of the workflow: it must run on that one."""


@dataclass(frozen=True)
class CeleryState:
    """A state of the run's Celery task, as its result backend stores it, for the start script
    to write with the start (a run that does not start writes none)."""

    key: str
    """The backend's key for the task (``celery-task-meta-<id>``), also the channel it is
    published on."""
    value: str
    """The encoded state, exactly what the backend would write."""
    ttl_seconds: int
    """Seconds the value lives (``result_expires``; 0: for ever)."""


@dataclass(frozen=True)
class StartResult:
    """The start script's answer."""

    outcome: StartOutcome
    record: JobRecord | None = None
    """The job as it stands now (``STARTED`` and ``RESUMED``: the caller holds it)."""
    cursor: str = ""
    """The ``workflow_started`` event's cursor (``STARTED`` only)."""
    status: str = ""
    """The job's status (``FINISHED`` and ``ALREADY_STARTED``)."""
    version: str = ""
    """The version the job is pinned to (``WRONG_VERSION`` only)."""
    resumed: bool = False
    """``WRONG_VERSION``: the job was handed back (a replay), not new."""


async def start(
    redis: Redis,
    *,
    job_id: str,
    token: str,
    event: WorkflowStarted,
    lease_ms: int,
    on_worker_lost: str,
    maxlen: int,
    version: str = DEFAULT_VERSION,
    celery_state: CeleryState | None = None,
) -> StartResult:
    """Take the job for ``event.worker`` under ``token`` with a lease of ``lease_ms``.

    A queued job becomes ``running`` and logs ``event``; a handed-back job resumes without a
    new event; the same start sent twice answers ``RESUMED`` the second time.
    ``on_worker_lost`` (``fail`` or ``resume``) is what the reaper does if the lease expires.
    ``version`` is the worker's version of the workflow: a job not pinned yet is pinned to it,
    a job pinned to another is refused (``WRONG_VERSION``).
    ``celery_state`` is written when the job is taken (``STARTED`` or ``RESUMED``, not a start
    sent again): Celery's own ``STARTED`` write reads the old state first, two round trips.
    """
    mirror = [celery_state.key] if celery_state else []
    mirror_args: list[Arg] = [celery_state.value, celery_state.ttl_seconds] if celery_state else []
    raw = await START.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.lease(job_id),
            keys.LEASES,
            *mirror,
        ],
        args=[
            token,
            event.worker,
            body(event),
            maxlen,
            event.ts.isoformat(),
            lease_ms,
            job_id,
            on_worker_lost,
            version,
            *mirror_args,
        ],
    )
    if raw[0] == StartOutcome.WRONG_VERSION:
        return StartResult(StartOutcome.WRONG_VERSION, version=str(raw[1]), resumed=raw[2] == "1")
    if raw[0] != "ok":
        return StartResult(StartOutcome(raw[0]), status=str(raw[1]) if len(raw) > 1 else "")
    flat: list[str] = raw[3]
    record = record_from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))
    return StartResult(StartOutcome(raw[2]), record=record, cursor=str(raw[1]))
