"""``scripts.answer`` journals the answer and hands it to the worker or back to the queue."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.journal import answer_entry
from agentjobs.protocol import AnswerValue, InputReceived
from tests.agentjobs.scripts.jobs import (
    MAXLEN,
    WORKFLOW,
    asking,
    entries,
    queued,
    record,
    redis_ms,
    started,
)


async def _answer(
    redis: Redis, job_id: str, request_id: str, value: AnswerValue, shown: AnswerValue | None = None
) -> scripts.AnswerResult:
    event = InputReceived(job_id=job_id, request_id=request_id, value=shown or value)
    return await scripts.answer(
        redis,
        job_id=job_id,
        request_id=request_id,
        value=value,
        event=event,
        maxlen=MAXLEN,
        reply_ttl_seconds=120,
        requeue_check_ms=30_000,
    )


async def test_an_answer_reaches_the_waiting_worker_and_the_journal(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    result = await _answer(redis, job_id, "req-1", "s3cret", shown="********")
    assert result.outcome is scripts.Delivery.DELIVERED and result.cursor
    reply = keys.reply(job_id, "req-1")
    assert await redis.lrange(reply, 0, -1) == [json.dumps("s3cret")]
    assert 0 < await redis.ttl(reply) <= 120
    assert await redis.lrange(keys.journal(job_id), 0, -1) == [answer_entry("req-1", "s3cret")]
    stored = await record(redis, job_id)
    assert stored["status"] == "running" and "pending_id" not in stored
    last_id, last = (await entries(redis, job_id))[-1]
    assert last_id == result.cursor and last["t"] == "input_received"
    assert json.loads(last["e"])["value"] == "********"


async def test_an_answer_to_another_question_or_job_is_refused(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    wrong = await _answer(redis, job_id, "req-9", "x")
    assert wrong == scripts.AnswerResult(scripts.Delivery.NOT_PENDING, status="awaiting_input")
    assert await redis.llen(keys.journal(job_id)) == 0
    missing = await _answer(redis, "nope", "req-1", "x")
    assert missing == scripts.AnswerResult(scripts.Delivery.MISSING)


async def test_an_answer_to_a_suspended_job_hands_it_back(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    await asking(redis, job_id, "tok", "req-1")
    assert (
        await scripts.suspend(
            redis, job_id=job_id, token="tok", request_id="req-1", deadline_ms=10**13
        )
        is scripts.Suspension.SUSPENDED
    )
    before = await redis_ms(redis)
    result = await _answer(redis, job_id, "req-1", ["a", "b"])
    assert result.outcome is scripts.Delivery.REQUEUED and result.workflow == WORKFLOW
    stored = await record(redis, job_id)
    assert stored["resume"] == "1" and "suspended" not in stored
    assert await redis.zscore(keys.INPUT_DEADLINES, job_id) is None
    check = await redis.zscore(keys.LEASES, job_id)
    assert check is not None and before + 30_000 <= check <= await redis_ms(redis) + 30_000
    assert await redis.exists(keys.reply(job_id, "req-1")) == 0
    assert await redis.llen(keys.journal(job_id)) == 1
