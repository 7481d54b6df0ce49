"""The API's queue puts one JSON task per job on the broker and listens for no results."""

from __future__ import annotations

import json
import uuid

import redis

from agentjobs import keys
from agentjobs.celery_config import queue_lists
from agentjobs.settings import RedisSettings
from backend.queue import JobQueue


async def test_enqueue_sends_the_run_task_to_its_workflow_queue_and_subscribes_to_nothing(
    isolated_db: str,
) -> None:
    client = redis.Redis.from_url(isolated_db, decode_responses=True)
    queue = JobQueue(RedisSettings(redis_url=isolated_db))
    job_ids = [uuid.uuid4().hex for _ in range(3)]
    try:
        for job_id in job_ids:
            await queue.enqueue(job_id, "chatty")
    finally:
        queue.close()
    assert client.llen(keys.CELERY_QUEUE) == 0
    # New jobs wait in the queue's list of their priority (resumed ones go ahead of them).
    new_jobs, resumed = queue_lists(keys.workflow_queue("chatty"))[::-1]
    assert client.llen(resumed) == 0
    messages = [json.loads(raw) for raw in client.lrange(new_jobs, 0, -1)]
    assert sorted(m["headers"]["id"] for m in messages) == sorted(job_ids)
    assert {m["headers"]["task"] for m in messages} == {keys.RUN_WORKFLOW_TASK}
    # Flower and Celery's logs name the workflow.
    assert {m["headers"]["shadow"] for m in messages} == {"agentjobs.run_workflow:chatty"}
    assert {m["content-type"] for m in messages} == {"application/json"}
    # A result backend would have subscribed the API to each task's result channel for good.
    channels = [f"celery-task-meta-{job_id}" for job_id in job_ids]
    assert all(count == 0 for _, count in client.pubsub_numsub(*channels))


async def test_a_new_jobs_task_is_captured_for_the_create_script_only_on_the_store_redis(
    isolated_db: str,
) -> None:
    client = redis.Redis.from_url(isolated_db, decode_responses=True)
    queue = JobQueue(RedisSettings(redis_url=isolated_db))
    # An empty AGENTJOBS_BROKER_URL (an .env line left blank) is the store's Redis too.
    blank = JobQueue(RedisSettings(redis_url=isolated_db, broker_url=""))
    elsewhere = JobQueue(RedisSettings(redis_url=isolated_db, broker_url="amqp://broker//"))
    try:
        tasks = [await queue.new_job_task(f"job{n}", "chatty", "v2") for n in range(2)]
        assert await blank.new_job_task("job8", "chatty") is not None
        assert await elsewhere.new_job_task("job9", "chatty") is None
    finally:
        queue.close()
        blank.close()
        elsewhere.close()
    new_jobs = queue_lists(keys.workflow_queue("chatty", "v2"))[1]
    assert [task.queue_list if task else None for task in tasks] == [new_jobs, new_jobs]
    assert [json.loads(task.message)["headers"]["id"] for task in tasks if task] == ["job0", "job1"]
    # Nothing was sent: the create script queues it with the job's record.
    assert client.llen(new_jobs) == 0
