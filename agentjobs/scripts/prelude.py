"""The Lua helpers every job-changing script starts with, and the ARGV layout they read.

Events are stored in the stream without their id (field ``e``); ``append`` splices the id in
(see ``protocol.event_json``) for the pub/sub message and the pending request.
"""

from __future__ import annotations

from agentjobs import keys
from agentjobs.protocol import Event, WorkflowFailed
from agentjobs.scripts.inbox import INBOX
from agentjobs.scripts.lua_script import Arg
from agentjobs.scripts.outbox import OUTBOX

PRELUDE = (
    INBOX
    + f"local UNFINISHED = '{keys.UNFINISHED}'\n"
    + """
local function is_terminal(st)
  return st == 'succeeded' or st == 'failed' or st == 'cancelled'
end
-- The stream entry keeps the type beside the body, and the live line leads with it, so the
-- relay can spot terminal events without parsing JSON. Returns the id and the JSON with it.
local function log_event(events, job, etype, body, maxlen)
  local id = redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 't', etype, 'e', body)
  redis.call('HSET', job, 'last_event_id', id)
  return id, '{"id":"' .. id .. '",' .. string.sub(body, 2)
end
-- Log and publish one event. A live message is one line per event ('<type> <json>'; JSON
-- never holds a raw newline), so a batch of events can travel as one message.
local function append(events, live, job, etype, body, maxlen)
  local id, full = log_event(events, job, etype, body, maxlen)
  redis.call('PUBLISH', live, etype .. ' ' .. full)
  return id, full
end
local function hset_pairs(job, first, n)
  for i = first, first + 2 * n - 1, 2 do
    redis.call('HSET', job, ARGV[i], ARGV[i + 1])
  end
end
-- A lease's deadline in the leases index, in Redis's own clock (every process agrees on it).
-- Does the run with this token still hold the job? The record's token is the fence: every
-- takeover (reaper, suspension, a job's end) removes it. The lease key only says the worker
-- is alive: it may have lapsed while Redis itself was down, and then nobody took the job.
local function holds(job, lease, token)
  if redis.call('HGET', job, 'token') ~= token then return false end
  local held = redis.call('GET', lease)
  return held == token or held == false
end
local function lease_deadline(lease_ms)
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(lease_ms)
end
-- Count a job's end in the metrics hash (agentjobs/job_metrics.py): ARGV[first] is n, then n
-- field/amount pairs. Inside the terminal write, so every end counts once, whoever ends it.
local function count_end(metrics, first)
  for i = first + 1, first + 2 * tonumber(ARGV[first]), 2 do
    redis.call('HINCRBYFLOAT', metrics, ARGV[i], ARGV[i + 1])
  end
end
-- Jobs pinned to a version and not ended, per workflow version (keys.UNFINISHED, field
-- keys.version_field: '<workflow>@<version>'). A key outside the job's slot, like the metrics
-- hash and the user's index: on a Redis Cluster it would move to a write after the script.
local function count_unfinished(job, delta)
  local version = redis.call('HGET', job, 'workflow_version')
  if not version then return end
  local field = redis.call('HGET', job, 'workflow') .. '@' .. version
  if redis.call('HINCRBY', UNFINISHED, field, delta) <= 0 then
    redis.call('HDEL', UNFINISHED, field)
  end
end
"""
    + OUTBOX
    + """
local function finish(job, events, retention)
  outbox_end(job)  -- the webhooks of the end (agentjobs/scripts/outbox.py)
  count_unfinished(job, -1)
  -- An ended job is never replayed: its journal goes (with any sealed password answer), and so
  -- does an answer no worker popped. keys.journal(id) is keys.job(id) .. ':journal' and
  -- keys.reply(id, rid) is keys.job(id) .. ':reply:' .. rid (same hash tag; agentjobs/keys.py).
  local rid = redis.call('HGET', job, 'reply_id')
  if rid then redis.call('DEL', job .. ':reply:' .. rid) end
  unlist(job)
  redis.call('HDEL', job, 'pending', 'pending_id', 'token', 'suspended', 'resume', 'reply_id')
  redis.call('EXPIRE', job, retention)
  redis.call('EXPIRE', events, retention)
  redis.call('DEL', job .. ':journal')
  -- keys.partial(id) is keys.job(id) .. ':partial': the chunks of a message the end cut off
  -- (no complete message will drop them) stay readable as long as the log.
  redis.call('EXPIRE', job .. ':partial', retention)
end
-- Fail a job no worker holds (the reaper's cases). The caller's ARGV: job_id, body, maxlen,
-- retention, finished_at, error (see unheld_failure_args); ARGV[counts_at] starts the metric
-- pairs (see count_end).
local function fail_unheld(job, events, live, metrics, reason, counts_at)
  redis.call('HSET', job, 'status', 'failed', 'finished_at', ARGV[5], 'error', ARGV[6],
    'reason', reason)
  local id = append(events, live, job, 'workflow_failed', ARGV[2], ARGV[3])
  finish(job, events, ARGV[4])
  count_end(metrics, counts_at)
  return id
end
"""
)


def body(event: Event) -> str:
    """The event as the stream stores it: its JSON without the id, which ``append`` splices in."""
    return event.model_dump_json(exclude={"id"})


def unheld_failure_args(
    job_id: str, event: WorkflowFailed, *, maxlen: int, retention_seconds: int
) -> list[Arg]:
    """ARGV[1..6] of a script that ends with ``fail_unheld``, in the order it reads them."""
    return [
        job_id,
        body(event),
        maxlen,
        retention_seconds,
        event.ts.isoformat(),
        event.error,
    ]
