"""Counts each finished job in Redis (``backend.job_metrics``) when its Celery task ends.

The worker serves no metrics port: with workers scaled out and on other hosts, Prometheus would
have to find every one of them. Instead each job's end goes into one Redis hash that every API
process reports at ``/metrics`` (the decision is explained in docs/operations.md).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, cast

import redis
from celery.signals import task_postrun
from redis.exceptions import RedisError

from backend import keys
from backend.job_metrics import finished_increments
from backend.store import record_from_hash
from worker.settings import get_worker_settings

log = logging.getLogger(__name__)


@lru_cache
def _client() -> redis.Redis:
    """A synchronous pool for the signal handler, which runs in every thread of the worker's
    pool: as many connections as threads, so a burst of job ends never queues for one."""
    settings = get_worker_settings()
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.concurrency,
        timeout=10,
        decode_responses=True,
        socket_connect_timeout=5,
    )
    return redis.Redis(connection_pool=pool)


def count_job_end(client: redis.Redis, job_id: str, retention_seconds: int) -> bool:
    """Add the finished job to the metrics hash once; False when not finished or counted already."""
    raw = cast(dict[str, str], client.hgetall(keys.job(job_id)))
    if not raw:
        return False
    changes = finished_increments(record_from_hash(raw))
    # The marker makes a redelivered task (which ends without running) count nothing.
    if not changes or not client.set(
        keys.metrics_counted(job_id), 1, nx=True, ex=retention_seconds
    ):
        return False
    with client.pipeline(transaction=False) as pipe:
        for change in changes:
            pipe.hincrbyfloat(keys.METRICS, change.field, change.amount)
        pipe.execute()
    return True


@task_postrun.connect  # type: ignore[untyped-decorator]
def on_task_end(task: Any = None, args: Any = None, **_: Any) -> None:
    """After each run task: count its job if the job is finished."""
    if getattr(task, "name", None) != keys.RUN_WORKFLOW_TASK or not args:
        return
    try:
        count_job_end(_client(), str(args[0]), get_worker_settings().retention_seconds)
    except (RedisError, OSError, ValueError, KeyError):
        # Metrics must never fail a job: lose one count and say so.
        log.warning("could not count the end of job %s in the metrics", args[0], exc_info=True)
