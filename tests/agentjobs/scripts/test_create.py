"""``scripts.create`` stores the record, the first event and the user's indexes it is given."""

from __future__ import annotations

import json
import uuid

import pytest
from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import JobQueued, WorkflowCancelled
from agentjobs.scripts.create import QueuedTask
from tests.agentjobs.scripts.jobs import (
    MAXLEN,
    RETENTION,
    WORKFLOW,
    entries,
    queued,
    record,
    record_fields,
)


async def _create(
    redis: Redis, job_id: str, user: str, max_active: int, task: QueuedTask | None = None
) -> scripts.CreateResult:
    event = JobQueued(job_id=job_id, workflow=WORKFLOW)
    return await scripts.create(
        redis,
        job_id=job_id,
        user=user,
        event=event,
        fields=record_fields(job_id, user, event),
        max_active=max_active,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
        task=task,
    )


async def test_create_writes_the_record_the_event_and_the_indexes(redis: Redis) -> None:
    job_id = uuid.uuid4().hex
    event = JobQueued(job_id=job_id, workflow=WORKFLOW, params={"city": "Lisbon"})
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.live(job_id))
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    result = await scripts.create(
        redis,
        job_id=job_id,
        user="ann",
        event=event,
        fields=record_fields(job_id, "ann", event),
        max_active=3,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert result.outcome is scripts.Creation.CREATED and result.cursor
    stored = await record(redis, job_id)
    assert stored == {**record_fields(job_id, "ann", event), "last_event_id": result.cursor}
    [(cursor, fields)] = await entries(redis, job_id)
    assert cursor == result.cursor
    assert fields == {"t": "job_queued", "e": event.model_dump_json(exclude={"id"})}
    assert await redis.zscore(keys.user_jobs("ann"), job_id) == event.ts.timestamp()
    assert await redis.smembers(keys.user_active("ann")) == {job_id}
    assert 0 < await redis.ttl(keys.user_active("ann")) <= RETENTION
    live = await pubsub.get_message(timeout=1)
    assert live is not None
    etype, _, full = live["data"].partition(" ")
    assert etype == "job_queued" and json.loads(full)["id"] == result.cursor
    await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_an_existing_id_is_refused_and_nothing_is_written(redis: Redis) -> None:
    job_id = await queued(redis)
    again = await _create(redis, job_id, "bob", 0)
    assert again == scripts.CreateResult(scripts.Creation.EXISTS)
    assert len(await entries(redis, job_id)) == 1
    assert (await record(redis, job_id))["user"] == "ann"
    assert await redis.zcard(keys.user_jobs("bob")) == 0


async def test_the_active_limit_counts_only_jobs_that_have_not_ended(redis: Redis) -> None:
    first = await queued(redis, max_active=2)
    await queued(redis, max_active=2)
    refused = await _create(redis, uuid.uuid4().hex, "ann", 2)
    assert refused == scripts.CreateResult(scripts.Creation.TOO_MANY, active=2)
    # Ending a job frees its slot: the script reads each job's status by the key affixes.
    await scripts.cancel(
        redis,
        job_id=first,
        event=WorkflowCancelled(job_id=first),
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    accepted = await _create(redis, uuid.uuid4().hex, "ann", 2)
    assert accepted.outcome is scripts.Creation.CREATED
    assert first not in await redis.smembers(keys.user_active("ann"))


async def test_no_limit_when_max_active_is_zero(redis: Redis) -> None:
    for _ in range(3):
        await queued(redis, max_active=0)
    assert await redis.scard(keys.user_active("ann")) == 3


async def test_a_task_given_is_queued_with_the_job_and_needs_no_resend(redis: Redis) -> None:
    job_id = uuid.uuid4().hex
    task = QueuedTask("test.queue", f'{{"id": "{job_id}"}}', (("test.sent", "sent"),))
    pubsub = redis.pubsub()
    await pubsub.subscribe("test.sent")
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    assert (await _create(redis, job_id, "ann", 0, task)).outcome is scripts.Creation.CREATED
    assert await redis.lrange("test.queue", 0, -1) == [task.message]
    assert await redis.zscore(keys.SENDING, job_id) is None
    published = await pubsub.get_message(timeout=1)
    assert published is not None and published["data"] == "sent"
    # A refused create queues nothing.
    assert (await _create(redis, job_id, "ann", 0, task)).outcome is scripts.Creation.EXISTS
    assert await redis.llen("test.queue") == 1
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    # Without a task the job waits in the sending index for the API's send.
    other = uuid.uuid4().hex
    await _create(redis, other, "ann", 0)
    assert await redis.zscore(keys.SENDING, other) is not None


def test_a_queued_task_is_one_push_and_any_publishes() -> None:
    pushed = ("lpush", ("q", "m"))
    sent = ("publish", ("c", "e"))
    assert QueuedTask.of([pushed, sent]) == QueuedTask("q", "m", (("c", "e"),))
    for commands in ([sent], [pushed, pushed], [pushed, ("pexpire", ("q", 5))]):
        with pytest.raises(ValueError, match="not one queued task"):
            QueuedTask.of(commands)


async def test_a_task_queued_after_the_record_leaves_the_sending_index(redis: Redis) -> None:
    job_id = uuid.uuid4().hex
    await _create(redis, job_id, "ann", 0)
    assert await redis.zscore(keys.SENDING, job_id) is not None
    task = QueuedTask("test.later", "message", (("test.sent", "sent"),))
    await scripts.queue_task(redis, job_id, task)
    assert await redis.lrange("test.later", 0, -1) == ["message"]
    assert await redis.zscore(keys.SENDING, job_id) is None
