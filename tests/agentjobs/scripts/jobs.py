"""Jobs in each state the scripts act on, put there by the scripts themselves."""

from __future__ import annotations

import json
import uuid
from typing import cast

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.protocol import JobQueued, TextInput, WorkflowStarted

MAXLEN = 1000
RETENTION = 3600
WORKFLOW = "chatty"


async def queued(redis: Redis, user: str = "ann", max_active: int = 0) -> str:
    """A new queued job's id."""
    job_id = uuid.uuid4().hex
    event = JobQueued(job_id=job_id, workflow=WORKFLOW, params={"n": 1})
    result = await scripts.create(
        redis,
        job_id=job_id,
        user=user,
        event=event,
        fields=record_fields(job_id, user, event),
        max_active=max_active,
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert result.outcome is scripts.Creation.CREATED
    return job_id


def record_fields(job_id: str, user: str, event: JobQueued) -> dict[str, str]:
    """The record a new job is stored with (as ``JobStore.create`` writes it)."""
    return {
        "job_id": job_id,
        "workflow": WORKFLOW,
        "params": json.dumps(event.params),
        "user": user,
        "status": "queued",
        "created_at": event.ts.isoformat(),
        "attempt": "0",
    }


async def started(
    redis: Redis,
    job_id: str,
    token: str,
    lease_ms: int = 10_000,
    on_worker_lost: str = "fail",
    celery_state: scripts.CeleryState | None = None,
) -> scripts.StartResult:
    """Start ``job_id`` under ``token`` (writing ``celery_state`` with the start)."""
    return await scripts.start(
        redis,
        job_id=job_id,
        token=token,
        event=WorkflowStarted(job_id=job_id, workflow=WORKFLOW, worker="w1"),
        lease_ms=lease_ms,
        on_worker_lost=on_worker_lost,
        maxlen=MAXLEN,
        celery_state=celery_state,
    )


async def asking(redis: Redis, job_id: str, token: str, request_id: str, seq: int = 0) -> str:
    """Have the started job ask ``request_id``; returns the question's cursor."""
    result = await scripts.emit(
        redis,
        job_id=job_id,
        token=token,
        event=TextInput(job_id=job_id, request_id=request_id, prompt="Name?"),
        kind="request",
        seq=seq,
        fields={},
        metrics={},
        maxlen=MAXLEN,
        retention_seconds=RETENTION,
    )
    assert result.outcome is scripts.Write.WRITTEN
    return result.cursor


async def record(redis: Redis, job_id: str) -> dict[str, str]:
    """The job's hash as stored."""
    return cast(dict[str, str], await redis.hgetall(keys.job(job_id)))


async def redis_ms(redis: Redis) -> int:
    """Now in Redis's clock, epoch ms."""
    seconds, micros = await redis.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def entries(redis: Redis, job_id: str) -> list[tuple[str, dict[str, str]]]:
    """The job's event stream as stored."""
    return cast(list[tuple[str, dict[str, str]]], await redis.xrange(keys.events(job_id)))
