"""The webhook outbox: the Lua that records a job's deliveries inside the write that changes it.

Every job change a webhook reports goes through two places in the scripts: ``finish`` (the end
of the job, whoever ends it: the worker's terminal emit, the API's cancel, the reaper's
failures) and the emit of a request. Both call ``outbox``, so a delivery is recorded in the same
atomic step as the change it reports: there is no window in which a job changed and its
notification was lost. A job without webhooks (no ``webhooks`` field) costs one ``HGET``.

Each delivery gets the id ``msg_<job>_<event cursor>_<target>``, a hash with the signed body's
text, and an entry in the due index; the workers' pump sends its task (``worker.webhook_pump``).
Key names: ``keys.job(id) .. ':events'``, ``keys.job(id) .. ':webhooks'`` and
``keys.job(id) .. ':webhook:' .. webhook_id`` (``agentjobs/keys.py``, one hash tag per job).
"""

from __future__ import annotations

from agentjobs import keys

OUTBOX = """
local END_WEBHOOKS = {succeeded = 'job.succeeded', failed = 'job.failed',
  cancelled = 'job.cancelled'}
-- Record the deliveries of the event ``id`` as webhook ``wtype`` to each of the job's targets
-- (the record's ``webhooks``: a JSON list of {name, url}). The body's text is built here once.
local function outbox(job, id, wtype)
  local targets = redis.call('HGET', job, 'webhooks')
  if not targets or targets == '' then return end
  local entry = redis.call('XRANGE', job .. ':events', id, id)[1]
  if not entry then return end
  local stored = entry[2][4]  -- fields 't', type, 'e', body (see append)
  local full = '{"id":"' .. id .. '",' .. string.sub(stored, 2)
  -- The event's own time, read without decoding the event: a result nested past cjson's depth
  -- limit must not break the job's write. Its JSON starts with job_id (hex), then ts.
  local ts = string.match(stored, '^{"job_id":"[^"]*","ts":"([^"]*)"') or ''
  local rec = redis.call('HMGET', job, 'job_id', 'workflow', 'status', 'user')
  local body = '{"type":"' .. wtype .. '","timestamp":"' .. ts .. '"'
    .. ',"data":{"job_id":' .. cjson.encode(rec[1]) .. ',"workflow":' .. cjson.encode(rec[2])
    .. ',"status":' .. cjson.encode(rec[3]) .. ',"event":' .. full .. '}}'
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  for _, target in ipairs(cjson.decode(targets)) do
    local wid = 'msg_' .. rec[1] .. '_' .. id .. '_' .. target['name']
    local key = job .. ':webhook:' .. wid
    if redis.call('EXISTS', key) == 0 then
      redis.call('HSET', key, 'webhook_id', wid, 'job_id', rec[1], 'type', wtype,
        'target', target['name'], 'url', target['url'], 'user', rec[4], 'event_id', id,
        'body', body, 'status', 'pending', 'attempts', '0', 'created_ms', ms)
      redis.call('ZADD', job .. ':webhooks', ms, wid)
      redis.call('ZADD', '@DUE@', ms, rec[1] .. ' ' .. wid)
    end
  end
end
-- The job just ended (its status is final, its last event the terminal one).
local function outbox_end(job)
  local wtype = END_WEBHOOKS[redis.call('HGET', job, 'status')]
  if wtype then outbox(job, redis.call('HGET', job, 'last_event_id'), wtype) end
end
""".replace("@DUE@", keys.WEBHOOKS_DUE)
"""Lua defining ``outbox(job, id, wtype)`` and ``outbox_end(job)``, included in the prelude."""
