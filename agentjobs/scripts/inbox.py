"""The Lua helpers that keep the inbox index: who has a job's pending request to answer.

A request is listed when the emit script makes it pending and unlisted by whatever clears it
(the answer script, a job's end), so ``GET /inbox`` reads one sorted set instead of scanning
jobs. Included in ``PRELUDE``: ``finish`` unlists too.
"""

from __future__ import annotations

from agentjobs import keys

_BEFORE, _AFTER = keys.inbox_key_affixes()
_LIVE = keys.user_inbox_live("\0").removeprefix(keys.user_inbox("\0"))
_REQUEST_BEFORE, _, _REQUEST_AFTER = keys.request_job("\0").partition("\0")

INBOX = f"""
local function inbox_key(user) return '{_BEFORE}' .. user .. '{_AFTER}' end
-- Tell the user's inbox sockets (keys.user_inbox_live) to read the count again.
local function nudge(user) redis.call('PUBLISH', inbox_key(user) .. '{_LIVE}', '1') end
-- List the request now pending (req: its decoded JSON) in the inbox of each assignee, or of
-- the job's owner when it has none; an assignee may read the job from now on (field
-- 'assignee:<user>', see backend/access.py). The users are kept in 'inbox' to unlist it.
local function list_request(job, req, ttl)
  local users = req['assignee']
  if type(users) ~= 'table' or #users == 0 then
    local owner = redis.call('HGET', job, 'user')
    users = owner and {{owner}} or {{}}
  else
    for _, user in ipairs(users) do redis.call('HSET', job, 'assignee:' .. user, '1') end
  end
  local id = redis.call('HGET', job, 'job_id')
  local now = redis.call('TIME')
  local score = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  for _, user in ipairs(users) do
    redis.call('ZADD', inbox_key(user), score, id)
    nudge(user)
  end
  redis.call('HSET', job, 'inbox', table.concat(users, ' '))
  redis.call('SET', '{_REQUEST_BEFORE}' .. req['request_id'] .. '{_REQUEST_AFTER}', id, 'EX', ttl)
end
local function unlist(job)
  local users = redis.call('HGET', job, 'inbox')
  if not users then return end
  local id = redis.call('HGET', job, 'job_id')
  for user in string.gmatch(users, '%S+') do
    redis.call('ZREM', inbox_key(user), id)
    nudge(user)
  end
  redis.call('HDEL', job, 'inbox')
end
"""
