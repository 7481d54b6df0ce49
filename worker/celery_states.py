"""The run task's states in Celery's result backend: a mirror of the job for Flower and
``AsyncResult``, in Celery's own format (the job record stays the truth)."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Task, states
from celery.app.task import Context
from celery.exceptions import CeleryError
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from agentjobs.scripts import CeleryState

log = logging.getLogger(__name__)

MIRROR_ERRORS = (RedisError, OSError, CeleryError, KombuError)
"""What a Celery state write raises when its backend is unreachable."""


class WorkflowError(Exception):
    """A workflow ended in failure; carried into the Celery result backend."""


def started_state(task: Task, request: Context) -> CeleryState:
    """The ``STARTED`` value ``task_track_started`` would write for this run, built with no
    I/O for the start script to write (Celery's own write reads the old state first).

    The same value: the result is the worker's pid and hostname, and the extended result
    (``result_extended``) names the task, its args, the worker and the queue.
    """
    backend = task.backend
    result = {"pid": os.getpid(), "hostname": request.hostname}
    meta = backend._get_result_meta(  # Celery's one builder of a state, no I/O
        result=result, state=states.STARTED, traceback=None, request=request
    )
    meta["task_id"] = request.id
    key: bytes = backend.get_key_for_task(request.id)
    return CeleryState(key.decode(), backend.encode(meta), int(backend.expires or 0))


def mirror(task: Task, request: Context, job_id: str, state: str, meta: dict[str, Any]) -> None:
    """Write one state of the job to Celery's result backend, on a writer thread.

    Its backend client does not ride out a Redis restart the way the job store does, so a
    failed mirror write must not fail the job (it did, mid-question, in a restart test): it is
    logged. ``request`` is the run's own: the writer thread has none, and ``update_state``
    there wrote an empty one (the extended result lost its task name, args, worker and queue
    until the run's end).
    """
    try:
        task.backend.store_result(job_id, meta, state, request=request)
    except MIRROR_ERRORS as exc:
        log.warning("job %s: could not mirror state %s to Celery: %r", job_id, state, exc)


def mirror_end(
    task: Task, request: Context, job_id: str, status: str, result: Any, error: str | None
) -> None:
    """Celery's state for the run's end, as its tracer would write it: ``SUCCESS`` with the
    result, ``FAILURE``, ``REVOKED`` for a cancelled job; nothing for a run that did not end the
    job (a suspended job keeps AWAITING_INPUT until a worker resumes it). A failed write is
    logged, as in ``mirror``: the job has ended either way."""
    try:
        if status == "succeeded":
            task.backend.mark_as_done(job_id, result, request=request)
        elif status == "failed":
            task.backend.mark_as_failure(job_id, WorkflowError(error), request=request)
        elif status == "cancelled":
            task.backend.mark_as_revoked(job_id, reason="cancelled", request=request)
    except MIRROR_ERRORS as exc:
        log.warning("job %s: could not mirror its end (%s) to Celery: %r", job_id, status, exc)
