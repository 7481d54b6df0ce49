"""``backend.hand_back.hand_back``: a handed-back job goes to its version's queue, and waits
visibly while no live worker serves that version."""

from __future__ import annotations

import redis
from redis.asyncio import Redis

from agentjobs import scripts
from agentjobs.connection import connect
from agentjobs.protocol import InputReceived, WorkflowInfo
from agentjobs.settings import RedisSettings
from backend.hand_back import hand_back
from tests.agentjobs.scripts.jobs import MAXLEN, WORKFLOW, asking, entries, queued, record, started
from worker.lifecycle import Catalog, beat

Sent = tuple[str, str, bool, str | None]


def serving(version: str) -> Catalog:
    entry = WorkflowInfo(name=WORKFLOW, description="", params_schema={}, version=version)
    return {WORKFLOW: (version, entry.model_dump_json())}


async def handed_back(client: Redis) -> str:
    """A job pinned to version 1 by its first start, suspended at its question, answered."""
    job_id = await queued(client)
    await started(client, job_id, "tok")  # a start with the default version, "1"
    await asking(client, job_id, "tok", "r1")
    await scripts.suspend(client, job_id=job_id, token="tok", request_id="r1", deadline_ms=10**13)
    answered = await scripts.answer(
        client,
        job_id=job_id,
        request_id="r1",
        value="Ann",
        event=InputReceived(job_id=job_id, request_id="r1", value="Ann"),
        maxlen=MAXLEN,
        reply_ttl_seconds=60,
        requeue_check_ms=30_000,
    )
    assert answered.outcome is scripts.Delivery.REQUEUED
    return job_id


async def test_a_job_whose_version_nobody_serves_waits_visibly(isolated_db: str) -> None:
    client = connect(RedisSettings(redis_url=isolated_db))
    workers = redis.Redis.from_url(isolated_db, decode_responses=True)
    sent: list[Sent] = []

    async def requeue(
        job_id: str, workflow: str, resumed: bool = False, version: str | None = None
    ) -> None:
        sent.append((job_id, workflow, resumed, version))

    try:
        beat(workers, "w2", serving("2"))  # only version 2 is served
        job_id = await handed_back(client)
        for _ in range(2):  # handed back twice (the reaper's retry): the wait is logged once
            await hand_back(client, requeue, job_id, WORKFLOW, "now", seen_within=60, maxlen=MAXLEN)
        assert sent == [(job_id, WORKFLOW, True, "1")] * 2
        stored = await record(client, job_id)
        assert stored["waiting_for_worker"] == "1" and stored["workflow_version"] == "1"
        logged = [fields for _, fields in await entries(client, job_id)]
        assert [fields["t"] for fields in logged][-2:] == ["input_received", "progress"]
        assert "waiting for a worker that serves chatty version 1" in logged[-1]["e"]
        assert [fields["t"] for fields in logged].count("progress") == 1
        resumed = await started(client, job_id, "tok-2")
        assert resumed.outcome is scripts.StartOutcome.RESUMED
        assert "waiting_for_worker" not in await record(client, job_id)

        beat(workers, "w1", serving("1"))  # version 1 is back: no mark
        other = await handed_back(client)
        await hand_back(client, requeue, other, WORKFLOW, "now", seen_within=60, maxlen=MAXLEN)
        assert "waiting_for_worker" not in await record(client, other)
    finally:
        await client.aclose()
        workers.close()
