"""The API's side of Celery: send the run task by name, never importing worker code."""

from __future__ import annotations

import asyncio
import logging

from celery import Celery
from celery.exceptions import CeleryError
from kombu.exceptions import KombuError
from kombu.messaging import Producer
from redis.exceptions import RedisError

from agentjobs import keys
from agentjobs.celery_config import celery_config, run_task_options
from agentjobs.kombu_redis import CAPTURE_TRANSPORT, CaptureChannel
from agentjobs.scripts.create import QueuedTask
from agentjobs.settings import RedisSettings

log = logging.getLogger(__name__)

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
        # The create script can queue the task itself only where the broker is the job store.
        self._captures = settings.broker_is_store
        self._capturing_producer: Producer | None = None
        self._capture_opening = asyncio.Lock()

    async def enqueue(
        self, job_id: str, workflow: str, resumed: bool = False, version: str | None = None
    ) -> None:
        """Put the job's task on its workflow's queue (its version's, for a job pinned to a
        ``version``); the Celery task id is the job id.

        A ``resumed`` job (answered, or handed back by the reaper) is served before new jobs."""
        options = run_task_options(job_id, workflow, resumed, version)
        # send_task blocks on the broker connection: keep it off the event loop.
        await asyncio.to_thread(self.celery.send_task, keys.RUN_WORKFLOW_TASK, **options)

    async def new_job_task(
        self, job_id: str, workflow: str, version: str | None = None
    ) -> QueuedTask | None:
        """The new job's run task as the Redis commands kombu would send for it (the message
        and its task-sent event), for the create script to queue with the job's record.

        Built by Celery and kombu themselves, with no I/O (``agentjobs.kombu_redis``): a
        quarter of ``send_task``'s CPU and none of its round trips or thread. None when the
        broker is not the job store's Redis, or the capture failed: then ``enqueue`` it.
        """
        if not self._captures:
            return None
        try:
            producer = await self._capturing()
            channel: CaptureChannel = producer.channel
            with producer.batch():  # type: ignore[no-untyped-call]
                self.celery.send_task(
                    keys.RUN_WORKFLOW_TASK,
                    producer=producer,
                    declare=[],  # kombu's queue declare writes a binding: the worker's to do
                    retry=False,
                    **run_task_options(job_id, workflow, version=version),
                )
            return QueuedTask.of(channel.captured.commands if channel.captured else [])
        except (*ENQUEUE_ERRORS, RuntimeError, ValueError) as exc:
            log.warning("job %s: its task is sent on its own (capture failed: %r)", job_id, exc)
            return None

    async def _capturing(self) -> Producer:
        """The producer over a capturing channel, opened once (a ping: off the loop)."""
        if self._capturing_producer is None:
            async with self._capture_opening:
                if self._capturing_producer is None:
                    self._capturing_producer = await asyncio.to_thread(self._open_capture)
        return self._capturing_producer

    def _open_capture(self) -> Producer:
        connection = self.celery.connection_for_write(transport=CAPTURE_TRANSPORT)
        return Producer(connection.default_channel, auto_declare=False)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Release the broker connections."""
        if self._capturing_producer is not None:
            self._capturing_producer.connection.release()
        self.celery.close()
