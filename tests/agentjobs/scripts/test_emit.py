"""``scripts.emit`` appends a worker's events, fenced by its token, and ends jobs."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import Event, TextMessage, WorkflowCompleted
from tests.agentjobs.scripts.jobs import (
    MAXLEN,
    RETENTION,
    asking,
    entries,
    queued,
    record,
    started,
)


async def _emit(
    redis: Redis,
    job_id: str,
    token: str,
    event: Event,
    kind: scripts.WriteKind = "plain",
    seq: int = 0,
    fields: Mapping[str, str] | None = None,
    metrics: Mapping[str, str] | None = None,
) -> scripts.EmitResult:
    return await scripts.emit(
        redis,
        job_id=job_id,
        token=token,
        event=event,
        kind=kind,
        seq=seq,
        fields=fields or {},
        metrics=metrics or {},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )


def _said(job_id: str, text: str) -> TextMessage:
    return TextMessage(job_id=job_id, sender="bot", content=text)


async def test_a_plain_event_is_appended_once_per_seq(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    written = await _emit(redis, job_id, "tok", _said(job_id, "hi"), seq=0)
    assert written.outcome is scripts.Write.WRITTEN
    last_id, last = (await entries(redis, job_id))[-1]
    assert last_id == written.cursor and last["t"] == "text_message"
    assert (await record(redis, job_id))["emitted"] == "1"
    # A replayed run emits seq 0 again: dropped, so the transcript stays continuous.
    replayed = await _emit(redis, job_id, "tok", _said(job_id, "hi"), seq=0)
    assert replayed == scripts.EmitResult(scripts.Write.REPLAYED)
    assert len(await entries(redis, job_id)) == 3


async def test_a_request_makes_the_job_wait_for_its_answer(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    cursor = await asking(redis, job_id, "tok", "req-1")
    stored = await record(redis, job_id)
    assert stored["status"] == "awaiting_input" and stored["pending_id"] == "req-1"
    assert f'"id":"{cursor}"' in stored["pending"]


async def test_a_terminal_write_ends_the_job_and_counts_it(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    done = WorkflowCompleted(job_id=job_id, result=7)
    fields = {"status": "succeeded", "finished_at": done.ts.isoformat(), "result": "7"}
    metrics = {"jobs_a": "1", "jobs_b": "2.5"}
    result = await _emit(redis, job_id, "tok", done, "terminal", -1, fields, metrics)
    assert result.outcome is scripts.Write.WRITTEN
    stored = await record(redis, job_id)
    assert {k: stored[k] for k in fields} == fields and stored["ended_by"] == "tok"
    assert "token" not in stored
    assert await redis.hgetall(keys.METRICS) == {"jobs_a": "1", "jobs_b": "2.5"}
    assert await redis.exists(keys.lease(job_id)) == 0
    assert await redis.zscore(keys.LEASES, job_id) is None
    assert await redis.lrange(keys.control(job_id), 0, -1) == ["end"]
    assert 0 < await redis.ttl(keys.job(job_id)) <= RETENTION
    assert 0 < await redis.ttl(keys.events(job_id)) <= RETENTION
    # The same final write again (a retry after a lost reply) answers as the first time.
    again = await _emit(redis, job_id, "tok", done, "terminal", -1, fields, metrics)
    assert again == scripts.EmitResult(scripts.Write.WRITTEN, cursor=result.cursor)
    assert await redis.hget(keys.METRICS, "jobs_a") == "1"
    other = await _emit(redis, job_id, "tok-2", _said(job_id, "late"), seq=5)
    assert other == scripts.EmitResult(scripts.Write.FINISHED, status="succeeded")


async def test_a_write_without_the_token_is_fenced(redis: Redis) -> None:
    job_id = await queued(redis)
    await started(redis, job_id, "tok")
    fenced = await _emit(redis, job_id, "intruder", _said(job_id, "x"))
    assert fenced == scripts.EmitResult(scripts.Write.FENCED, status="running")
    # The lease ran out while Redis was down and nobody took the job over: still the run's.
    await redis.delete(keys.lease(job_id))
    lapsed = await _emit(redis, job_id, "tok", _said(job_id, "x"))
    assert lapsed.outcome is scripts.Write.WRITTEN
    await redis.hdel(keys.job(job_id), "token")  # taken over (reaped, suspended)
    taken = await _emit(redis, job_id, "tok", _said(job_id, "y"))
    assert taken.outcome is scripts.Write.FENCED
    assert len(await entries(redis, job_id)) == 3
    missing = await _emit(redis, "nope", "tok", _said("nope", "x"))
    assert missing == scripts.EmitResult(scripts.Write.MISSING)
