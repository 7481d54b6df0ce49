"""The Lua scripts that change a job: each appends its event, updates the record and publishes
in one atomic step, so a job's status never lags the event a client has just received.

Events are stored in the stream without their id (field ``e``); the scripts splice the id in
(see ``protocol.event_json``) for the pub/sub message and the pending request.
"""

from __future__ import annotations

# Shared helpers prepended to every script.
_PRELUDE = """
local function is_terminal(st)
  return st == 'succeeded' or st == 'failed' or st == 'cancelled'
end
-- The stream entry keeps the type beside the body, and the live message leads with it, so the
-- relay can spot terminal events without parsing JSON.
local function append(events, live, job, etype, body, maxlen)
  local id = redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 't', etype, 'e', body)
  local full = '{"id":"' .. id .. '",' .. string.sub(body, 2)
  redis.call('HSET', job, 'last_event_id', id)
  redis.call('PUBLISH', live, etype .. ' ' .. full)
  return id, full
end
local function hset_pairs(job, first, n)
  for i = first, first + 2 * n - 1, 2 do
    redis.call('HSET', job, ARGV[i], ARGV[i + 1])
  end
end
-- A lease's deadline in the leases index, in Redis's own clock (every process agrees on it).
local function lease_deadline(lease_ms)
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(lease_ms)
end
-- Count a job's end in the metrics hash (backend/job_metrics.py): ARGV[first] is n, then n
-- field/amount pairs. Inside the terminal write, so every end counts once, whoever ends it.
local function count_end(metrics, first)
  for i = first + 1, first + 2 * tonumber(ARGV[first]), 2 do
    redis.call('HINCRBYFLOAT', metrics, ARGV[i], ARGV[i + 1])
  end
end
local function finish(job, events, retention)
  redis.call('HDEL', job, 'pending', 'pending_id', 'token', 'suspended', 'resume')
  redis.call('EXPIRE', job, retention)
  redis.call('EXPIRE', events, retention)
  -- keys.journal(id) is keys.job(id) .. ':journal' (same hash tag; see backend/keys.py).
  redis.call('EXPIRE', job .. ':journal', retention)
end
-- Fail a job no worker holds (the reaper's cases). The caller's ARGV: job_id, body, maxlen,
-- retention, finished_at, error; ARGV[counts_at] starts the metric pairs (see count_end).
local function fail_unheld(job, events, live, metrics, reason, counts_at)
  redis.call('HSET', job, 'status', 'failed', 'finished_at', ARGV[5], 'error', ARGV[6],
    'reason', reason)
  local id = append(events, live, job, 'workflow_failed', ARGV[2], ARGV[3])
  finish(job, events, ARGV[4])
  count_end(metrics, counts_at)
  return id
end
"""

CREATE = (
    _PRELUDE
    + """
-- KEYS: job, events, live, user_jobs, user_active
-- ARGV: body, maxlen, score, job_id, n, field/value pairs...,
--       max_active (0: no limit), job key prefix, job key suffix, retention
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
local id = append(KEYS[2], KEYS[3], KEYS[1], 'job_queued', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
redis.call('SADD', KEYS[5], ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[q + 3])
return {'ok', id}
"""
)

START = (
    _PRELUDE
    + """
-- KEYS: job, events, live, lease, leases
-- ARGV: token, worker, body, maxlen, started_at, lease_ms, job_id, on_worker_lost
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
redis.call('HDEL', KEYS[1], 'resume', 'suspended')
redis.call('HSET', KEYS[1], 'token', ARGV[1], 'worker', ARGV[2], 'on_worker_lost', ARGV[8])
redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ARGV[6])
redis.call('ZADD', KEYS[5], lease_deadline(ARGV[6]), ARGV[7])
-- The record comes back with the outcome: the worker needs it, and this saves a round trip.
if resumed then return {'ok', '', 'resumed', redis.call('HGETALL', KEYS[1])} end
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[5])
local id = append(KEYS[2], KEYS[3], KEYS[1], 'workflow_started', ARGV[3], ARGV[4])
return {'ok', id, 'started', redis.call('HGETALL', KEYS[1])}
"""
)

EMIT = (
    _PRELUDE
    + """
-- A worker's write, fenced by its token: the job must still be its own and its lease alive.
-- KEYS: job, events, live, lease, leases, control, metrics
-- ARGV: token, body, maxlen, kind ('plain' | 'request' | 'terminal'), retention, type,
--       seq (the workflow's own count of events so far; -1 for terminal events), n,
--       field/value pairs..., m, metric field/amount pairs (terminal only)...
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
local kind = ARGV[4]
if is_terminal(st) then
  -- This worker's own final write, sent again by the client's retry after a lost reply.
  if kind == 'terminal' and redis.call('HGET', KEYS[1], 'ended_by') == ARGV[1] then
    return {'ok', redis.call('HGET', KEYS[1], 'last_event_id')}
  end
  return {'finished', st}
end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] or redis.call('GET', KEYS[4]) ~= ARGV[1] then
  return {'fenced', st}
end
local seq = tonumber(ARGV[7])
if seq >= 0 then
  -- A replayed run emits again what an earlier attempt already logged: drop those, so
  -- watchers see one continuous transcript.
  local emitted = tonumber(redis.call('HGET', KEYS[1], 'emitted') or '0')
  if seq < emitted then
    if kind == 'request' then
      local rid = cjson.decode(ARGV[2])['request_id']
      if redis.call('HGET', KEYS[1], 'pending_id') == rid then
        redis.call('HSET', KEYS[1], 'status', 'awaiting_input')
      end
    end
    return {'replayed'}
  end
  redis.call('HSET', KEYS[1], 'emitted', seq + 1)
end
local id, full = append(KEYS[2], KEYS[3], KEYS[1], ARGV[6], ARGV[2], ARGV[3])
hset_pairs(KEYS[1], 9, tonumber(ARGV[8]))
if kind == 'request' then
  local rid = cjson.decode(ARGV[2])['request_id']
  redis.call('HSET', KEYS[1], 'status', 'awaiting_input', 'pending', full, 'pending_id', rid)
elseif kind == 'terminal' then
  finish(KEYS[1], KEYS[2], ARGV[5])
  redis.call('HSET', KEYS[1], 'ended_by', ARGV[1])
  redis.call('DEL', KEYS[4])
  redis.call('ZREM', KEYS[5], redis.call('HGET', KEYS[1], 'job_id'))
  -- Wakes the run's own control watcher, so it ends without being cancelled mid-BLPOP (a
  -- cancelled command costs its connection).
  redis.call('RPUSH', KEYS[6], 'end')
  redis.call('EXPIRE', KEYS[6], ARGV[5])
  count_end(KEYS[7], 9 + 2 * tonumber(ARGV[8]))
end
return {'ok', id}
"""
)

ANSWER = (
    _PRELUDE
    + """
-- KEYS: job, events, live, reply, journal, input_deadlines, leases
-- ARGV: request_id, body, maxlen, value_json, reply_ttl, journal_entry, job_id, requeue_check_ms
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
if st ~= 'awaiting_input' or redis.call('HGET', KEYS[1], 'pending_id') ~= ARGV[1] then
  return {'not_pending', st}
end
redis.call('HDEL', KEYS[1], 'pending', 'pending_id')
redis.call('HSET', KEYS[1], 'status', 'running')
local id = append(KEYS[2], KEYS[3], KEYS[1], 'input_received', ARGV[2], ARGV[3])
-- The answer is journaled here, in order: the workflow is blocked on it, so every outside
-- result it got before is already in the journal.
redis.call('RPUSH', KEYS[5], ARGV[6])
if redis.call('HGET', KEYS[1], 'suspended') == '1' then
  -- No worker holds the job: hand it back to the queue; a worker replays it to this point.
  redis.call('HDEL', KEYS[1], 'suspended')
  redis.call('HSET', KEYS[1], 'resume', '1')
  redis.call('ZREM', KEYS[6], ARGV[7])
  -- Until a worker starts it (START sets a real lease deadline), the reaper checks on it.
  redis.call('ZADD', KEYS[7], lease_deadline(ARGV[8]), ARGV[7])
  return {'ok', id, 'requeue', redis.call('HGET', KEYS[1], 'workflow')}
end
redis.call('RPUSH', KEYS[4], ARGV[4])
redis.call('EXPIRE', KEYS[4], ARGV[5])
return {'ok', id, 'delivered'}
"""
)

CANCEL = (
    _PRELUDE
    + """
-- Firm cancel: the job is terminal at once, whatever its code does next; the worker running
-- it is told through the control list and stops it.
-- KEYS: job, events, live, control, lease, leases, metrics
-- ARGV: body, maxlen, finished_at, retention, job_id, m, metric field/amount pairs...
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
if is_terminal(st) then return {'finished', st} end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[3])
local id = append(KEYS[2], KEYS[3], KEYS[1], 'workflow_cancelled', ARGV[1], ARGV[2])
finish(KEYS[1], KEYS[2], ARGV[4])
if st ~= 'queued' then
  redis.call('RPUSH', KEYS[4], 'cancel')
  redis.call('EXPIRE', KEYS[4], ARGV[4])
end
redis.call('DEL', KEYS[5])
redis.call('ZREM', KEYS[6], ARGV[5])
count_end(KEYS[7], 6)
return {'ok', id, st}
"""
)

RENEW_LEASE = (
    _PRELUDE
    + """
-- KEYS: lease, leases; ARGV: token, lease_ms, job_id. Renews only the caller's own lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], lease_deadline(ARGV[2]), ARGV[3])
return 1
"""
)

REAP = (
    _PRELUDE
    + """
-- Fail a job whose worker stopped renewing its lease. Re-checks everything inside the script:
-- the job may have ended, or its lease been renewed, since the reaper looked.
-- KEYS: job, events, live, lease, leases, metrics
-- ARGV: job_id, body, maxlen, retention, finished_at, error, max_attempts, requeue_check_ms,
--       m, metric field/amount pairs...
local st = redis.call('HGET', KEYS[1], 'status')
if not st or is_terminal(st) then
  redis.call('ZREM', KEYS[5], ARGV[1])
  return {'gone'}
end
local ttl = redis.call('PTTL', KEYS[4])
if ttl > 0 then
  redis.call('ZADD', KEYS[5], lease_deadline(ttl), ARGV[1])
  return {'alive'}
end
if redis.call('HGET', KEYS[1], 'resume') == '1' then
  -- Handed back to the queue and not started since: that hand-back may have been lost. Hand
  -- it back again; should both arrive, the second start is refused.
  redis.call('ZADD', KEYS[5], lease_deadline(ARGV[8]), ARGV[1])
  return {'requeue', redis.call('HGET', KEYS[1], 'workflow')}
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempt') or '0')
if redis.call('HGET', KEYS[1], 'on_worker_lost') == 'resume'
    and attempts < tonumber(ARGV[7]) then
  redis.call('HDEL', KEYS[1], 'token')
  redis.call('HSET', KEYS[1], 'resume', '1')
  redis.call('ZADD', KEYS[5], lease_deadline(ARGV[8]), ARGV[1])
  return {'requeue', redis.call('HGET', KEYS[1], 'workflow')}
end
local id = fail_unheld(KEYS[1], KEYS[2], KEYS[3], KEYS[6], 'worker_lost', 9)
redis.call('ZREM', KEYS[5], ARGV[1])
return {'reaped', id}
"""
)

JOURNAL = """
-- Record one outside result in the job's journal, fenced like every worker write.
-- KEYS: job, lease, journal; ARGV: token, entry
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
return redis.call('RPUSH', KEYS[3], ARGV[2])
"""

SUSPEND = """
-- Let go of a job that waits for a human: no worker slot, no lease; the answer requeues it.
-- KEYS: job, lease, leases, input_deadlines
-- ARGV: token, request_id, input deadline (epoch ms; '' for none), job_id
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'fenced'}
end
if redis.call('HGET', KEYS[1], 'status') ~= 'awaiting_input'
    or redis.call('HGET', KEYS[1], 'pending_id') ~= ARGV[2] then
  return {'answered'}
end
redis.call('HSET', KEYS[1], 'suspended', '1')
redis.call('HDEL', KEYS[1], 'token')
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[4])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4]) end
return {'suspended'}
"""

EXPIRE_INPUT = (
    _PRELUDE
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
"""
)
