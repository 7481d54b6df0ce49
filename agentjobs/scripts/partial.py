"""The Lua helpers that keep stream chunks out of the event log, in a job's partial stream.

A ``stream_chunk`` previews a message still being generated; once the sender's complete
``text_message`` is logged the chunks say nothing more, so they never enter the event log. They
go to ``keys.partial(job_id)`` (published live like any event), and the emit of the sender's
``text_message`` drops them. A chunk's id is minted in the log's own id space: above every id
the log has handed out, and the log is then moved past it (``XSETID``), so chunks and logged
events share one increasing cursor order and a reader merges the two streams by id
(``backend.event_log``). The job hash's ``partial_from`` says whose chunks the partial stream
holds: one sender's name, or ``*`` for several, so the common case drops it whole.
"""

from __future__ import annotations

PARTIAL = """
local function id_parts(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
-- The id after both the log's last id and the partial stream's, in Redis's clock: what XADD '*'
-- would give if the chunk went to the log.
local function next_chunk_id(job, partial)
  local ms, seq = 0, -1
  local logged = redis.call('HGET', job, 'last_event_id')
  if logged then ms, seq = id_parts(logged) end
  local top = redis.call('XREVRANGE', partial, '+', '-', 'COUNT', 1)[1]
  if top then
    local pms, pseq = id_parts(top[1])
    if pms > ms or (pms == ms and pseq > seq) then ms, seq = pms, pseq end
  end
  local now = redis.call('TIME')
  local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  if now_ms > ms then return string.format('%.0f-0', now_ms) end
  return string.format('%.0f-%.0f', ms, seq + 1)
end
-- Store one chunk (body: its JSON without the id) outside the log; returns its id and its
-- live line.
local function store_chunk(events, partial, job, body, maxlen)
  local sender = cjson.decode(body)['sender']
  local id = redis.call('XADD', partial, 'MAXLEN', '~', maxlen, next_chunk_id(job, partial),
    't', 'stream_chunk', 'e', body, 's', sender)
  -- Every later log entry gets a larger id than this chunk, whichever script appends it.
  redis.call('XSETID', events, id)
  local from = redis.call('HGET', job, 'partial_from')
  if not from then
    redis.call('HSET', job, 'partial_from', sender)
  elseif from ~= sender and from ~= '*' then
    redis.call('HSET', job, 'partial_from', '*')
  end
  return id, 'stream_chunk {"id":"' .. id .. '",' .. string.sub(body, 2)
end
-- Store and publish one chunk.
local function append_chunk(events, partial, live, job, body, maxlen)
  local id, line = store_chunk(events, partial, job, body, maxlen)
  redis.call('PUBLISH', live, line)
  return id
end
-- The sender's complete message was just logged: its chunks are no longer needed.
local function drop_chunks(job, partial, body)
  local from = redis.call('HGET', job, 'partial_from')
  if not from then return end
  local sender = cjson.decode(body)['sender']
  if from == sender then
    redis.call('DEL', partial)
    redis.call('HDEL', job, 'partial_from')
    return
  end
  if from ~= '*' then return end
  -- Several senders stream at once (rare): remove only this one's chunks.
  local start = '-'
  while true do
    local batch = redis.call('XRANGE', partial, start, '+', 'COUNT', 256)
    for _, entry in ipairs(batch) do
      local fields = entry[2]
      for i = 1, #fields, 2 do
        if fields[i] == 's' and fields[i + 1] == sender then
          redis.call('XDEL', partial, entry[1])
        end
      end
      start = '(' .. entry[1]
    end
    if #batch < 256 then break end
  end
  if redis.call('XLEN', partial) == 0 then
    redis.call('DEL', partial)
    redis.call('HDEL', job, 'partial_from')
  end
end
"""
"""Lua text for ``next_chunk_id``, ``append_chunk`` and ``drop_chunks``; the emit script
includes it after ``PRELUDE``."""
