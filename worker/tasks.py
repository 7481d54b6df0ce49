"""The one Celery task, ``agentjobs.run_workflow``: a thin shell around ``JobRunner``."""

from __future__ import annotations

import logging
from functools import lru_cache, partial
from typing import Any

from celery import Task
from celery.exceptions import Ignore

from agentjobs import keys
from agentjobs.celery_config import run_task_options
from agentjobs.logging_setup import bind_job
from agentjobs.protocol import is_terminal_status
from agentjobs.workflows import load_registry
from worker.app import app, settings
from worker.celery_states import mirror, mirror_end, started_state
from worker.runner import JobRunner
from worker.shutdown import ACTIVE_RUNS
from worker.state_writer import state_writer
from worker.thread_loop import thread_loop

log = logging.getLogger(__name__)

OWN_STATES = settings.task_states and settings.broker_is_store
"""The run task's states are written by agentjobs, not by Celery's tracer: ``STARTED`` by the
start script (Celery's write reads the old state first: two round trips before the task's first
line), the end's on the state writer's threads (on a run's own pool thread, each of 1,000 runs
ending at once made the first backend client of its thread). A result backend apart from the
job store keeps Celery's own writes."""


@lru_cache
def runner_for(worker_name: str) -> JobRunner:
    """The process's runner; the registry is imported once."""
    return JobRunner(load_registry(settings.workflows), settings, worker_name)


def send_again(
    task: Task, job_id: str, workflow: str, resumed: bool = False, version: str | None = None
) -> None:
    """Put the job's run task on its workflow's queue, or its version's (the message in hand
    is acked already)."""
    options = run_task_options(job_id, workflow, resumed, version)
    task.app.send_task(keys.RUN_WORKFLOW_TASK, **options)


def _of_workflow(queue: str | None, workflow: str) -> bool:
    """Is ``queue`` the workflow's queue or one of its versions' queues?"""
    own = keys.workflow_queue(workflow)
    return queue is not None and (queue == own or queue.startswith(keys.version_field(own, "")))


@app.task(  # type: ignore[untyped-decorator]
    name=keys.RUN_WORKFLOW_TASK,
    bind=True,
    ignore_result=not settings.task_states or OWN_STATES,
    track_started=settings.task_states and not OWN_STATES,
    # A run task that crashes (not a failed workflow: the runner ends those) still shows it.
    store_errors_even_if_ignored=OWN_STATES,
)
def run_workflow(self: Task, job_id: str, workflow: str) -> Any:
    """Run the job ``job_id`` (of ``workflow``, given for Flower) on this thread's event loop."""
    request = self.request

    async def mirror_state(state: str, meta: dict[str, Any]) -> None:
        if settings.task_states:
            await state_writer().write(partial(mirror, self, request, job_id, state, meta))

    if ACTIVE_RUNS.closed:
        # Delivered while the worker shuts down (a fetch already in flight): the message is
        # acked, so put the job back on the queue for another worker rather than lose it.
        log.info("job %s arrived during shutdown; requeued", job_id)
        send_again(self, job_id, workflow)
        raise Ignore()
    runner = runner_for(self.request.hostname or "worker")
    arrived_on = (self.request.delivery_info or {}).get("routing_key")
    own_queue = keys.workflow_queue(workflow)
    if runner.registry.get(workflow) is None and not _of_workflow(arrived_on, workflow):
        # Not ours, and not on its workflow's queue (sent to the default queue by an older API):
        # forward it where a worker serving it will take it. One that came on its own queue
        # (a worker started with the wrong queues) fails in the runner as unknown_workflow.
        log.warning(
            "job %s of %r came on %s; forwarded to %s", job_id, workflow, arrived_on, own_queue
        )
        send_again(self, job_id, workflow)
        raise Ignore()
    started = started_state(self, request) if OWN_STATES else None
    outcome = thread_loop(settings).run(
        lambda redis: runner.run(redis, job_id, workflow, mirror_state, started)
    )
    if outcome.status == "refused":
        # Pinned to a version this worker does not serve: never run on other code. Its own
        # version's queue is consumed only by workers serving that version.
        log.info("job %s sent to the queue of version %s", job_id, outcome.pinned_version)
        send_again(self, job_id, workflow, outcome.resumed, outcome.pinned_version)
        raise Ignore()
    bind_job(user=outcome.user)  # for Celery's line about the task's end
    if is_terminal_status(outcome.status):  # a suspended or skipped run leaves it as it is
        end = partial(
            mirror_end, self, request, job_id, outcome.status, outcome.result, outcome.error
        )
        if OWN_STATES:
            state_writer().write_blocking(end)
        elif settings.task_states and outcome.status != "succeeded":  # Celery writes SUCCESS
            end()
    if outcome.status == "succeeded":
        return outcome.result
    raise Ignore()
