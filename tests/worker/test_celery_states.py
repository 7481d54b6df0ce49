"""The ``STARTED`` state the start script writes is the one Celery's own write stores."""

from __future__ import annotations

import os
import uuid

import redis
from celery import Celery, states
from celery.app.task import Context

from agentjobs import keys
from agentjobs.celery_config import celery_config
from agentjobs.settings import RedisSettings
from worker.celery_states import started_state


def _run(self: object, job_id: str, workflow: str) -> None:
    """A stand-in body: only the task's backend and name are used."""


def test_the_started_state_is_what_celerys_track_started_writes(isolated_db: str) -> None:
    app = Celery("celery-states")
    app.conf.update(celery_config(RedisSettings(redis_url=isolated_db)))
    task = app.task(name=keys.RUN_WORKFLOW_TASK, bind=True)(_run)
    job_id = uuid.uuid4().hex
    request = Context(
        id=job_id,
        task=keys.RUN_WORKFLOW_TASK,
        args=[job_id, "chatty"],
        kwargs={},
        hostname="agentjobs-1@host",
        retries=0,
        delivery_info={"routing_key": keys.workflow_queue("chatty", "1")},
    )
    ours = started_state(task, request)
    # What the tracer does with task_track_started, before the task's first line.
    result = {"pid": os.getpid(), "hostname": request.hostname}
    task.backend.store_result(job_id, result, states.STARTED, request=request)
    client = redis.Redis.from_url(isolated_db, decode_responses=True)
    assert ours.key == f"celery-task-meta-{job_id}"
    assert client.get(ours.key) == ours.value
    assert ours.ttl_seconds == app.conf.result_expires.total_seconds() >= client.ttl(ours.key) > 0
    assert app.AsyncResult(job_id).state == states.STARTED
    app.close()
