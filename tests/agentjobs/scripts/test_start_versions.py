"""``scripts.start`` pins a job to a version, refuses another version's worker, and the
unfinished count per version follows the job from its pinning to its end."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import JobQueued, WorkflowCancelled, WorkflowStarted
from tests.agentjobs.scripts.jobs import MAXLEN, RETENTION, WORKFLOW, queued, record, record_fields


async def start_as(redis: Redis, job_id: str, version: str) -> scripts.StartResult:
    return await scripts.start(
        redis,
        job_id=job_id,
        token=uuid.uuid4().hex,
        event=WorkflowStarted(job_id=job_id, workflow=WORKFLOW, worker=f"w-{version}"),
        lease_ms=10_000,
        on_worker_lost="fail",
        maxlen=MAXLEN,
        version=version,
    )


async def unfinished(redis: Redis) -> dict[str, str]:
    return dict(await redis.hgetall(keys.UNFINISHED))


async def cancel(redis: Redis, job_id: str) -> None:
    await scripts.cancel(
        redis,
        job_id=job_id,
        event=WorkflowCancelled(job_id=job_id),
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )


async def test_an_unpinned_job_is_pinned_by_its_first_start(redis: Redis) -> None:
    job_id = await queued(redis)
    assert await unfinished(redis) == {}  # queued unpinned: no version needs it yet
    result = await start_as(redis, job_id, "2")
    assert result.outcome is scripts.StartOutcome.STARTED
    assert result.record is not None and result.record.workflow_version == "2"
    assert await unfinished(redis) == {f"{WORKFLOW}@2": "1"}
    await cancel(redis, job_id)
    assert await unfinished(redis) == {}  # the last one ended: the field goes


async def test_a_job_pinned_at_create_is_refused_by_another_version(redis: Redis) -> None:
    job_id = uuid.uuid4().hex
    event = JobQueued(job_id=job_id, workflow=WORKFLOW, params={})
    fields = record_fields(job_id, "ann", event) | {"workflow_version": "1"}
    await scripts.create(
        redis,
        job_id=job_id,
        user="ann",
        event=event,
        fields=fields,
        max_active=0,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert await unfinished(redis) == {f"{WORKFLOW}@1": "1"}
    refused = await start_as(redis, job_id, "2")
    assert refused == scripts.StartResult(
        scripts.StartOutcome.WRONG_VERSION, version="1", resumed=False
    )
    stored = await record(redis, job_id)
    assert stored["status"] == "queued" and "token" not in stored and stored["attempt"] == "0"
    taken = await start_as(redis, job_id, "1")
    assert taken.outcome is scripts.StartOutcome.STARTED
    assert await unfinished(redis) == {f"{WORKFLOW}@1": "1"}  # counted once
