"""The batch emit script: a worker's plain events emitted back to back, in one round trip.

A workflow that says several things in a row (an agent team's messages, a stream of chunks)
would otherwise pay a script call and a pub/sub message per event, on the worker, in Redis and
in every API process relaying the job. Only plain numbered events travel this way: a question
and a job's end change the record and go through ``scripts.emit`` on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import Event
from agentjobs.scripts.emit import EmitResult
from agentjobs.scripts.lua_script import Arg, LuaScript
from agentjobs.scripts.partial import PARTIAL
from agentjobs.scripts.prelude import PRELUDE, body

EMIT_BATCH = LuaScript(
    "emit_batch",
    PRELUDE
    + PARTIAL
    + """
-- The emit script's fence once, then each event as a plain emit would write it, in order, and
-- one live message with a line per event written.
-- KEYS: job, events, live, lease, partial
-- ARGV: token, maxlen, then per event: type, seq, body
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
if is_terminal(st) then return {'finished', st} end
if not holds(KEYS[1], KEYS[4], ARGV[1]) then return {'fenced', st} end
local emitted = tonumber(redis.call('HGET', KEYS[1], 'emitted') or '0')
local lines, last = {}, ''
for i = 3, #ARGV, 3 do
  local etype, seq, event = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  -- Below 'emitted': a replay, or this batch sent again after a lost reply; dropped.
  if seq >= emitted then
    emitted = seq + 1
    local line
    if etype == 'stream_chunk' then
      last, line = store_chunk(KEYS[2], KEYS[5], KEYS[1], event, ARGV[2])
    else
      local full
      last, full = log_event(KEYS[2], KEYS[1], etype, event, ARGV[2])
      if etype == 'text_message' then drop_chunks(KEYS[1], KEYS[5], event) end
      line = etype .. ' ' .. full
    end
    lines[#lines + 1] = line
  end
end
if #lines > 0 then
  redis.call('HSET', KEYS[1], 'emitted', emitted)
  redis.call('PUBLISH', KEYS[3], table.concat(lines, '\\n'))
end
return {'ok', last}
""",
)


@dataclass(frozen=True)
class Numbered:
    """A plain event as the script takes it, with the workflow's count of events before it."""

    type: str
    seq: int
    body: str
    """The event's JSON without its id (``prelude.body``)."""

    @classmethod
    def of(cls, event: Event, seq: int) -> Numbered:
        """``event`` numbered ``seq``."""
        return cls(event.type, seq, body(event))


async def emit_batch(
    redis: Redis, *, job_id: str, token: str, events: Sequence[Numbered], maxlen: int
) -> EmitResult:
    """Append and publish plain ``events`` in order if ``token`` still holds the job.

    Each is dropped, as ``scripts.emit`` drops it, when its ``seq`` was already logged, so a
    batch sent twice is written once. ``WRITTEN`` carries the last written event's cursor ("" if
    all were dropped).
    """
    args: list[Arg] = [token, maxlen]
    for numbered in events:
        args += [numbered.type, numbered.seq, numbered.body]
    raw = await EMIT_BATCH.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.lease(job_id),
            keys.partial(job_id),
        ],
        args=args,
    )
    return EmitResult.from_reply(raw)
