"""A bare Celery app with one no-op task: the throughput ceiling on the same Redis.

Configured like agentjobs' own (``agentjobs.celery_config``: JSON, early acks, task events, results
stored) but on a queue of its own, so it measures what Celery alone costs per task.
"""

from __future__ import annotations

from celery import Celery

from agentjobs.celery_config import celery_config
from agentjobs.settings import RedisSettings

NOOP_TASK = "bench.noop"
NOOP_QUEUE = "bench-noop"


def make_app(settings: RedisSettings) -> Celery:
    """The no-op app for ``settings``' Redis (the producer side uses it too)."""
    celery = Celery("bench-noop")
    celery.conf.update(celery_config(settings))
    celery.conf.update(
        task_routes={NOOP_TASK: {"queue": NOOP_QUEUE}},
        task_default_queue=NOOP_QUEUE,
        worker_pool="threads",
    )
    celery.task(name=NOOP_TASK)(_noop)
    return celery


def _noop() -> None:
    """Does nothing: all that is measured is Celery's own path."""


app = make_app(RedisSettings())
"""For ``celery -A bench.noop_app worker`` (reads ``AGENTJOBS_REDIS_URL``)."""
