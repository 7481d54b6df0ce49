"""``agentjobs_queue_length`` adds up every agentjobs queue (per workflow and per version) and
the tasks reserved from them."""

from __future__ import annotations

import json

import redis
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.celery_config import queue_lists
from backend.metrics import queue_length


async def test_the_default_and_every_workflow_queue_count_with_their_reserved_tasks(
    isolated_db: str,
) -> None:
    sync = redis.Redis.from_url(isolated_db, decode_responses=True)
    sync.hset(keys.WORKFLOWS, mapping={"alpha": "{}", "beta": "{}"})
    sync.rpush(keys.CELERY_QUEUE, "t1")
    sync.rpush(keys.workflow_queue("alpha"), "t2", "t3")
    sync.rpush(keys.workflow_queue("beta"), "t4")
    sync.hset(keys.workflow_versions("beta"), mapping={"1": "{}", "2": "{}"})
    sync.rpush(keys.workflow_queue("beta", "2"), "t5")
    sync.rpush(queue_lists(keys.workflow_queue("beta", "1"))[1], "t6")  # a new job, priority 9
    sync.rpush("someone-elses-queue", "x")
    reserved = {
        "tag-1": [{}, keys.workflow_queue("beta"), keys.workflow_queue("beta")],
        "tag-2": [{}, keys.CELERY_QUEUE, keys.CELERY_QUEUE],
        "tag-3": [{}, "other", "someone-elses-queue"],
    }
    sync.hset(keys.CELERY_UNACKED, mapping={k: json.dumps(v) for k, v in reserved.items()})
    client = Redis.from_url(isolated_db, decode_responses=True)
    try:
        assert await queue_length(client, client) == 6 + 2
    finally:
        await client.aclose()
        sync.close()
