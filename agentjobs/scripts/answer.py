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
    secret: bool = False,
    key: SecretStr | None = None,
) -> AnswerResult:
    """Accept ``value`` for the pending request ``request_id``: log ``event`` (which may show a
    masked value), journal ``value``, and hand it to the worker or, for a suspended job, mark it
    for the queue (the reaper checks on it after ``requeue_check_ms`` until a worker starts it).

    A ``secret`` value is sealed with ``key`` in the journal and the reply list; without a key
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
        ],
    )
    if raw[0] == "ok":
        workflow = str(raw[3]) if raw[2] == "requeue" else ""
        return AnswerResult(Delivery(raw[2]), cursor=str(raw[1]), workflow=workflow)
    if raw[0] == "missing":
        return AnswerResult(Delivery.MISSING)
    return AnswerResult(Delivery.NOT_PENDING, status=str(raw[1]))
