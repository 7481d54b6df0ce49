"""The emit script: a worker's write of one event, fenced by its token and lease."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import Event
from agentjobs.records import field_pairs
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.partial import PARTIAL
from agentjobs.scripts.prelude import PRELUDE, body

EMIT = LuaScript(
    "emit",
    PRELUDE
    + PARTIAL
    + """
-- A worker's write, fenced by its token: the job must still be its own and its lease alive.
-- KEYS: job, events, live, lease, leases, control, metrics, partial
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
if not holds(KEYS[1], KEYS[4], ARGV[1]) then
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
if ARGV[6] == 'stream_chunk' then
  -- A preview of a message still being generated: live, but not logged (scripts/partial.py).
  return {'ok', append_chunk(KEYS[2], KEYS[8], KEYS[3], KEYS[1], ARGV[2], ARGV[3])}
end
local id, full = append(KEYS[2], KEYS[3], KEYS[1], ARGV[6], ARGV[2], ARGV[3])
if ARGV[6] == 'text_message' then drop_chunks(KEYS[1], KEYS[8], ARGV[2]) end
hset_pairs(KEYS[1], 9, tonumber(ARGV[8]))
if kind == 'request' then
  local req = cjson.decode(ARGV[2])
  redis.call('HSET', KEYS[1], 'status', 'awaiting_input', 'pending', full,
    'pending_id', req['request_id'])
  list_request(KEYS[1], req, ARGV[5])
  outbox(KEYS[1], id, 'job.awaiting_input')
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
""",
)

WriteKind = Literal["plain", "request", "terminal"]
"""``request``: the event is a question the job now waits on; ``terminal``: it ends the job."""


class Write(StrEnum):
    """What the emit script did with the event."""

    WRITTEN = "ok"
    REPLAYED = "replayed"
    """An earlier attempt already logged this event (its ``seq``): dropped."""
    MISSING = "missing"
    FINISHED = "finished"
    """The job already ended (cancelled, reaped, or ended by another attempt)."""
    FENCED = "fenced"
    """The token or the lease is not the caller's any more."""


@dataclass(frozen=True)
class EmitResult:
    """The emit script's answer."""

    outcome: Write
    cursor: str = ""
    """The event's cursor (``WRITTEN``); a terminal write sent twice gets the first one's."""
    status: str = ""
    """The job's status (``FINISHED`` and ``FENCED``)."""

    @classmethod
    def from_reply(cls, raw: list[Any]) -> EmitResult:
        """The result of an emit script's reply: ``{outcome, cursor or status}``."""
        outcome = Write(raw[0])
        if outcome is Write.WRITTEN:
            return cls(outcome, cursor=str(raw[1]))
        return cls(outcome, status=str(raw[1]) if len(raw) > 1 else "")


async def emit(
    redis: Redis,
    *,
    job_id: str,
    token: str,
    event: Event,
    kind: WriteKind,
    seq: int,
    fields: Mapping[str, str],
    metrics: Mapping[str, str],
    maxlen: int,
    retention_seconds: int,
) -> EmitResult:
    """Append and publish ``event`` if ``token`` still holds the job, and set record ``fields``.

    A ``stream_chunk`` is published and kept in the job's partial stream instead of the log,
    until its sender's ``text_message`` is logged, which drops it (``scripts.partial``).

    ``seq`` is the workflow's own count of events before this one (-1 for terminal events,
    never dropped as replayed). A terminal write also adds ``metrics`` (field/amount pairs) to
    the metrics hash, releases the lease and starts the retention countdown.
    """
    raw = await EMIT.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.lease(job_id),
            keys.LEASES,
            keys.control(job_id),
            keys.METRICS,
            keys.partial(job_id),
        ],
        args=[
            token,
            body(event),
            maxlen,
            kind,
            retention_seconds,
            event.type,
            seq,
            *field_pairs(dict(fields)),
            *field_pairs(dict(metrics)),
        ],
    )
    return EmitResult.from_reply(raw)
