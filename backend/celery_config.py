"""Celery configuration shared by the API (a producer only) and the worker."""

from __future__ import annotations

from typing import Any

from backend import keys
from backend.settings import RedisSettings


def celery_config(settings: RedisSettings) -> dict[str, Any]:
    """The Celery settings every agentjobs process uses: JSON only, early acks, task events."""
    return {
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
        "task_track_started": True,
        "task_send_sent_event": True,
        "worker_send_task_events": True,
        "broker_connection_retry_on_startup": True,
        "task_routes": {keys.RUN_WORKFLOW_TASK: {"queue": "agentjobs"}},
        "task_default_queue": "agentjobs",
        "result_extended": True,
    }
