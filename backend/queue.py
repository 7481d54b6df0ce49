"""The API's side of Celery: send the run task by name, never importing worker code."""

from __future__ import annotations

import asyncio

from celery import Celery
from celery.exceptions import CeleryError
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from agentjobs import keys
from agentjobs.celery_config import celery_config, run_task_options
from agentjobs.settings import RedisSettings

ENQUEUE_ERRORS = (CeleryError, KombuError, RedisError, OSError)
"""What ``JobQueue.enqueue`` raises when the broker did not take the task."""


class JobQueue:
    """Enqueues one ``agentjobs.run_workflow`` task per job, on its workflow's queue."""

    def __init__(self, settings: RedisSettings) -> None:
        self.celery = Celery("agentjobs-api")
        # No result backend here: the API never reads Celery results (job state is in the job
        # record). With one, every send_task subscribes this process to the task's result
        # channel for good: subscriptions without end, and result messages nobody reads.
        self.celery.conf.update(celery_config(settings), result_backend=None)

    async def enqueue(
        self, job_id: str, workflow: str, resumed: bool = False, version: str | None = None
    ) -> None:
        """Put the job's task on its workflow's queue (its version's, for a job pinned to a
        ``version``); the Celery task id is the job id.

        A ``resumed`` job (answered, or handed back by the reaper) is served before new jobs."""
        options = run_task_options(job_id, workflow, resumed, version)
        # send_task blocks on the broker connection: keep it off the event loop.
        await asyncio.to_thread(self.celery.send_task, keys.RUN_WORKFLOW_TASK, **options)

    def close(self) -> None:
        """Release the broker connections."""
        self.celery.close()
