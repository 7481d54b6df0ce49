"""Celery configuration shared by the API (a producer only) and the worker."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

from agentjobs import keys, kombu_redis
from agentjobs.settings import RedisSettings


def celery_config(settings: RedisSettings) -> dict[str, Any]:
    """The Celery settings every agentjobs process uses: JSON only, early acks, task events."""
    return {
        **_tls_options(settings.celery_broker_url),
        **_transport(settings.celery_broker_url),
        "broker_url": settings.celery_broker_url,
        "result_backend": settings.celery_broker_url,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        # Early acks: with the Redis broker a late-acked task still running after the
        # visibility timeout is delivered again and would run a live job twice.
        "task_acks_late": False,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": _redelivery(settings.visibility_timeout_seconds),
        "task_track_started": settings.task_states,
        "task_send_sent_event": settings.task_events,
        "worker_send_task_events": settings.task_events,
        "broker_connection_retry_on_startup": True,
        # Run tasks name their workflow's queue when sent (run_task_options); this route is
        # only for a run task sent without one.
        "task_routes": {
            keys.RUN_WORKFLOW_TASK: {"queue": keys.CELERY_QUEUE},
            keys.DELIVER_WEBHOOK_TASK: {"queue": keys.WEBHOOK_QUEUE},
        },
        "task_default_queue": keys.CELERY_QUEUE,
        "result_extended": True,
    }


RESUME_PRIORITY = 0
"""Priority of a handed-back job's run task (answered, or resumed after a lost worker)."""
NEW_JOB_PRIORITY = 9
"""Priority of a new job's run task. kombu's Redis transport serves lower numbers first (a list
per priority step, popped in step order), so answered and resumed jobs start before new ones."""
PRIORITY_SEP = "\x06\x16"
"""kombu's Redis transport: the list of a queue's messages of priority step ``n`` > 0 is
``<queue>\x06\x16<n>``; step 0 is the list named like the queue."""


def queue_lists(queue: str) -> list[str]:
    """The Redis lists holding the messages of ``queue`` waiting for a worker, every priority."""
    return [queue, f"{queue}{PRIORITY_SEP}{NEW_JOB_PRIORITY}"]


def run_task_options(
    job_id: str, workflow: str, resumed: bool = False, version: str | None = None
) -> dict[str, Any]:
    """The ``send_task`` arguments of a job's run task (after the task name), for every sender.

    The task goes to the workflow's own queue (a job pinned to a ``version``: that version's
    queue), so only a worker serving the workflow (that version) takes it;
    its Celery id is the job id; Flower and Celery's logs show it as ``run_workflow:<workflow>``.
    A ``resumed`` job (handed back after an answer or a lost worker) goes ahead of new jobs.
    """
    return {
        "args": [job_id, workflow],
        "task_id": job_id,
        "queue": keys.workflow_queue(workflow, version),
        "shadow": keys.run_task_label(workflow),
        "priority": RESUME_PRIORITY if resumed else NEW_JOB_PRIORITY,
    }


def _redelivery(visibility_timeout: int) -> dict[str, Any]:
    """kombu's Redis transport options that bound how long a dead worker's prefetched tasks wait.

    A worker keeps the tasks it prefetched for busy slots in kombu's ``unacked`` hash until it
    starts them (early acks). If it dies, only a consumer's ``restore_visible`` sweep puts them
    back on the queue, and only once they are ``visibility_timeout`` old. Every worker sweeps at
    start and then every ``unacked_restore_interval`` seconds (``throttle`` 1: each call scans),
    so with one live worker they run again within about timeout + interval. A short timeout is
    safe: a task still waiting on a live worker is redelivered too, and the start script
    refuses the second start (running jobs are acked, so they are never redelivered).
    """
    interval = max(1, visibility_timeout // 6)
    return {
        "visibility_timeout": visibility_timeout,
        "unacked_restore_interval": interval,
        "unacked_restore_throttle": 1,
        # A worker killed inside a sweep leaves the sweep lock behind (5 minutes by default);
        # restores are transactions, so overlapping sweeps after it expires are harmless.
        "unacked_mutex_expire": visibility_timeout,
    }


def _transport(url: str) -> dict[str, Any]:
    """kombu's Redis transport without a new client per command (``agentjobs.kombu_redis``),
    for a plain or TLS Redis URL; any other broker keeps its own."""
    if urlsplit(url).scheme in ("redis", "rediss"):
        return {"broker_transport": kombu_redis.TRANSPORT}
    return {}


def _tls_options(url: str) -> dict[str, Any]:
    """Verify the server's certificate on a ``rediss://`` URL that does not say otherwise.

    Without ``ssl_cert_reqs`` in the URL, Celery's result backend refuses a ``rediss://`` URL and
    kombu's broker connects without checking the certificate: require it, like redis-py does.
    """
    parts = urlsplit(url)
    if parts.scheme != "rediss" or "ssl_cert_reqs" in parse_qs(parts.query):
        return {}
    tls = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    return {"broker_use_ssl": tls, "redis_backend_use_ssl": tls}
