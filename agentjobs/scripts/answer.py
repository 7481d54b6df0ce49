"""The answer script: a human's answer to the pending question, journaled and delivered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.journal import answer_entry
from agentjobs.protocol import AnswerValue, InputReceived
from agentjobs.scripts.lua_script import LuaScript
from agentjobs.scripts.prelude import PRELUDE, body
from agentjobs.secrets import seal

ANSWER = LuaScript(
    "answer",
    PRELUDE
    + """
-- KEYS: job, events, live, reply, journal, input_deadlines, leases
-- ARGV: request_id, body, maxlen, value_json, reply_ttl, journal_entry, job_id, requeue_check_ms,
--       by, idempotency_key, source
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'missing'} end
-- Who took each request, kept with the job: the losers of a race are told, and the winner's
-- retry (same user, same Idempotency-Key) is told it won.
local taken = 'answer:' .. ARGV[1]
if st ~= 'awaiting_input' or redis.call('HGET', KEYS[1], 'pending_id') ~= ARGV[1] then
  local prior = redis.call('HGET', KEYS[1], taken)
  if not prior then return {'not_pending', st, '', ''} end
  local p = cjson.decode(prior)
  if ARGV[10] ~= '' and p['key'] == ARGV[10] and p['by'] == ARGV[9] then
    return {'repeat', p['cursor']}
  end
  return {'not_pending', st, p['by'], p['source']}
end
unlist(KEYS[1])
redis.call('HDEL', KEYS[1], 'pending', 'pending_id')
redis.call('HSET', KEYS[1], 'status', 'running')
local id = append(KEYS[2], KEYS[3], KEYS[1], 'input_received', ARGV[2], ARGV[3])
redis.call('HSET', KEYS[1], taken,
  cjson.encode({by = ARGV[9], key = ARGV[10], source = ARGV[11], cursor = id}))
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
-- So that the job's end removes the reply if no worker popped it (see finish).
redis.call('HSET', KEYS[1], 'reply_id', ARGV[1])
return {'ok', id, 'delivered'}
""",
)


class Delivery(StrEnum):
    """What the answer script did with the answer."""

    DELIVERED = "delivered"
    """Pushed to the reply list the waiting worker pops."""
    REQUEUED = "requeue"
    """The job was suspended: it is marked for resuming, and the caller must requeue it."""
    MISSING = "missing"
    NOT_PENDING = "not_pending"
    """The job is not waiting for this request (answered already, or another question)."""
    REPEATED = "repeat"
    """This very answer was taken before (same user and idempotency key): nothing changed."""


@dataclass(frozen=True)
class AnswerResult:
    """The answer script's answer."""

    outcome: Delivery
    cursor: str = ""
    """The ``input_received`` event's cursor (``DELIVERED`` and ``REQUEUED``)."""
    workflow: str = ""
    """The job's workflow, to requeue it by name (``REQUEUED`` only)."""
    status: str = ""
    """The job's status (``NOT_PENDING`` only)."""
    answered_by: str = ""
    """Who took the request (``NOT_PENDING`` after an answer; empty when it never was)."""
    answered_source: str = ""
    """``human`` or ``deadline``: how it was taken (``NOT_PENDING`` after an answer)."""


async def answer(
    redis: Redis,
    *,
    job_id: str,
    request_id: str,
    value: AnswerValue,
    event: InputReceived,
    maxlen: int,
    reply_ttl_seconds: int,
    requeue_check_ms: int,
    by: str = "",
    idempotency_key: str = "",
    secret: bool = False,
    key: SecretStr | None = None,
) -> AnswerResult:
    """Accept ``value`` for the pending request ``request_id``: log ``event`` (which may show a
    masked value), journal ``value``, and hand it to the worker or, for a suspended job, mark it
    for the queue (the reaper checks on it after ``requeue_check_ms`` until a worker starts it).

    ``by`` (the answering user, or ``""`` for a deadline) and ``idempotency_key`` are kept
    with the request, so a repeat of the same answer is ``REPEATED`` and others learn who took
    it. A ``secret`` value is sealed with ``key`` in the journal and the reply list; without a key
    the journal withholds it and only the reply list (which the worker empties) carries it.
    """
    reply = seal(value, key) if secret and key is not None else value
    raw = await ANSWER.run(
        redis,
        keys=[
            keys.job(job_id),
            keys.events(job_id),
            keys.live(job_id),
            keys.reply(job_id, request_id),
            keys.journal(job_id),
            keys.INPUT_DEADLINES,
            keys.LEASES,
        ],
        args=[
            request_id,
            body(event),
            maxlen,
            json.dumps(reply),
            reply_ttl_seconds,
            answer_entry(request_id, value, secret=secret, key=key),
            job_id,
            requeue_check_ms,
            by,
            idempotency_key,
            event.source,
        ],
    )
    if raw[0] == "ok":
        workflow = str(raw[3]) if raw[2] == "requeue" else ""
        return AnswerResult(Delivery(raw[2]), cursor=str(raw[1]), workflow=workflow)
    if raw[0] == "missing":
        return AnswerResult(Delivery.MISSING)
    if raw[0] == "repeat":
        return AnswerResult(Delivery.REPEATED, cursor=str(raw[1]))
    return AnswerResult(
        Delivery.NOT_PENDING,
        status=str(raw[1]),
        answered_by=str(raw[2]),
        answered_source=str(raw[3]),
    )
