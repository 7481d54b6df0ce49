"""Run one job: start it, run its workflow beside a control watcher, and end it in a clear state."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentjobs.budgets import BudgetExceeded
from agentjobs.journal import JournalEntry
from agentjobs.logging_setup import bind_job
from agentjobs.model_meter import CURRENT_METER, Meter
from agentjobs.protocol import JobRecord
from agentjobs.replay import Journal, Nondeterministic
from agentjobs.scripts import CeleryState
from agentjobs.tracing import run_attempt
from agentjobs.ui import CURRENT_UI, InputTimeout, JobUI
from agentjobs.versions import DEFAULT_VERSION
from agentjobs.workflows import Workflows
from worker.job_writer import JobLost, JobWriter, StartOutcome, StateHook, Suspended
from worker.settings import WorkerSettings
from worker.shutdown import ACTIVE_RUNS, ActiveRun, ActiveRuns

log = logging.getLogger(__name__)

SHUTDOWN_ERROR = "the worker shut down before the job finished (grace period over)"
WATCHER_END_WAIT = 2.0
"""Seconds a run waits for its control watcher to see the ``end`` its terminal write pushed."""


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, for the Celery task to mirror in its own state."""

    status: str
    """``succeeded``, ``failed``, ``cancelled``, ``skipped`` (never started by this run) or
    ``refused`` (pinned to a version this worker does not serve: untouched)."""
    result: Any = None
    error: str | None = None
    user: str | None = None
    """Whose job it is, once the run started it (for the task's log lines)."""
    pinned_version: str = ""
    """``refused``: the job is pinned to this other version, and must be sent to its queue."""
    resumed: bool = False
    """``refused``: the job is a replay (it goes ahead of new jobs on that queue)."""


class JobRunner:
    """Runs jobs for one worker process, on the event loop and Redis client it is given."""

    def __init__(
        self,
        registry: Workflows,
        settings: WorkerSettings,
        worker_name: str,
        active: ActiveRuns = ACTIVE_RUNS,
    ) -> None:
        self.registry = registry
        self.settings = settings
        self.worker_name = worker_name
        self.active = active

    async def run(
        self,
        redis: Redis,
        job_id: str,
        workflow: str,
        state_hook: StateHook,
        started_state: CeleryState | None = None,
    ) -> RunOutcome:
        """Run (or replay and resume) the job ``job_id``; never raises for workflow failures.

        ``state_hook`` mirrors the job's later states into Celery's; ``started_state``, its
        ``STARTED``, is written by the start script when the run takes the job."""
        registered = self.registry.get(workflow)
        writer = JobWriter(
            redis,
            self.settings,
            job_id,
            token=uuid.uuid4().hex,
            lease_ms=int(self.settings.lease_seconds * 1000),
            state_hook=state_hook,
            suspend_after=self.settings.suspend_after_seconds,
        )
        policy = registered.on_worker_lost if registered else "fail"
        version = registered.version if registered else DEFAULT_VERSION
        outcome, record = await writer.start(
            workflow, self.worker_name, policy, version, started_state
        )
        if outcome is StartOutcome.WRONG_VERSION:
            log.info(
                "job %s is pinned to version %s, not %s", job_id, writer.pinned_version, version
            )
            return RunOutcome(
                "refused", pinned_version=writer.pinned_version, resumed=writer.was_handed_back
            )
        if outcome is StartOutcome.FINISHED and writer.start_status == "cancelled":
            log.info("job %s was cancelled before it started", job_id)
            return RunOutcome("cancelled")
        if outcome in (StartOutcome.FINISHED, StartOutcome.ALREADY_STARTED):
            # Another delivery of a job that began (the broker hands back reserved tasks of a
            # worker it thinks is gone): expected, and refused by the start script.
            log.info("job %s is %s: a second delivery, not run", job_id, writer.start_status)
            return RunOutcome("skipped", error=outcome.value)
        if record is None:
            log.warning("job %s not started: %s", job_id, outcome.value)
            return RunOutcome("skipped", error=outcome.value)
        resumed = outcome is StartOutcome.RESUMED
        if resumed:
            log.info("job %s resumed: replaying its journal", job_id)
        bind_job(user=record.user)
        # A first attempt has an empty journal: only a started run or an answer to its
        # question writes one.
        journal = await writer.load_journal() if resumed else []
        with run_attempt(record, resumed) as attempt:
            ended = await self._run_started(writer, record, journal)
            attempt.outcome(ended.status, ended.error)
        return replace(ended, user=record.user)

    async def _run_started(
        self, writer: JobWriter, record: JobRecord, journal: list[JournalEntry]
    ) -> RunOutcome:
        workflow = self.registry.get(record.workflow)
        if workflow is None:
            return await _fail(writer, f"unknown workflow {record.workflow!r}", "unknown_workflow")
        try:
            params = workflow.params.model_validate(record.params)
        except ValidationError as exc:
            return await _fail(writer, f"invalid params: {exc}", "invalid_params")
        ui = JobUI(
            writer,
            job_id=record.job_id,
            user=record.user,
            workflow=record.workflow,
            input_timeout=workflow.input_timeout or self.settings.input_timeout_seconds,
            journal=Journal(journal, writer),
        )
        limit = workflow.time_limit or self.settings.run_time_limit_seconds
        # The task copies this context: model clients built in the workflow find the UI.
        CURRENT_UI.set(ui)
        budget = record.budget.over(workflow.budget) if record.budget else workflow.budget
        CURRENT_METER.set(Meter(writer.redis, ui, self.settings, budget))
        main = asyncio.create_task(_within(limit, workflow.func(ui, params)))
        run = ActiveRun(record.job_id, asyncio.get_running_loop(), main)
        self.active.add(run)
        watcher = asyncio.create_task(self._watch(writer, main))
        try:
            return await _finish(writer, run, ui)
        finally:
            self.active.remove(record.job_id)
            await _stop(watcher, grace=WATCHER_END_WAIT if writer.ended else 0)

    async def _watch(self, writer: JobWriter, main: asyncio.Task[Any]) -> None:
        """Renew the lease while the job runs and stop the workflow when a cancel arrives."""
        interval = self.settings.lease_seconds / 3
        while not main.done():
            try:
                command = await writer.next_control(interval)
                if command == "end":
                    return
                renewed = command != "cancel" and await writer.renew_lease()
            except (RedisError, OSError):
                # Redis may come back within the lease: keep the job and try again.
                log.warning("job %s: Redis unreachable from the watcher", writer.job_id)
                await asyncio.sleep(1)
                continue
            if not renewed:
                if command != "cancel":
                    log.warning("job %s: lease lost, stopping the workflow", writer.job_id)
                main.cancel()
                return


async def _stop(watcher: asyncio.Task[None], grace: float) -> None:
    """Give the watcher ``grace`` seconds to end by itself, then cancel it.

    After the run's terminal write the watcher ends on its own (the write pushes ``end``), and
    its connection goes back to the thread's pool; a BLPOP cancelled midway closes it instead.
    """
    if grace:
        await asyncio.wait({watcher}, timeout=grace)
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher


class RunTimeLimit(Exception):
    """The workflow ran past its time limit."""


async def _within(limit: float | None, work: Coroutine[Any, Any, Any]) -> Any:
    """Run ``work``; past ``limit`` raise ``RunTimeLimit`` (the workflow's own timeouts pass)."""
    if limit is None:
        return await work
    try:
        async with asyncio.timeout(limit) as scope:
            return await work
    except TimeoutError:
        if scope.expired():
            raise RunTimeLimit(f"the run took longer than its {limit:g} s limit") from None
        raise


_FAILURE_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (Nondeterministic, "nondeterministic"),
    (InputTimeout, "input_timeout"),
    (RunTimeLimit, "timeout"),
    (BudgetExceeded, "budget_exceeded"),
)


async def _ended_by(writer: JobWriter, run: ActiveRun, ui: JobUI, exc: BaseException) -> RunOutcome:
    """Classify how a run ended early. Agent frameworks may wrap our exceptions, so the causes
    the UI and the journal saw first take precedence over what surfaced."""
    cause = ui.journal.diverged or ui.stopped_by or exc
    if isinstance(cause, Suspended):
        log.info("job %s suspended while it waits for %s", writer.job_id, cause.request_id)
        return RunOutcome("suspended")
    if isinstance(exc, asyncio.CancelledError) and run.shutting_down:
        if await _suspended_for_shutdown(writer):
            return RunOutcome("suspended")
        return await _fail(writer, SHUTDOWN_ERROR, "shutdown")
    if isinstance(cause, asyncio.CancelledError | JobLost):
        log.info("job %s: the run stopped: %r", writer.job_id, cause, exc_info=cause)
        return RunOutcome("cancelled")
    for kind, reason in _FAILURE_REASONS:
        if isinstance(cause, kind):
            return await _fail(writer, str(cause), reason)
    log.error("job %s: workflow raised", writer.job_id, exc_info=exc)
    return await _fail(writer, f"{type(exc).__name__}: {exc}", "exception")


async def _suspended_for_shutdown(writer: JobWriter) -> bool:
    """A job waiting for a human outlives the worker's shutdown: suspended, not failed."""
    try:
        suspended = await writer.suspend_waiting()
    except (RedisError, OSError):
        return False
    if suspended:
        log.info("job %s suspended for the worker's shutdown; its answer resumes it", writer.job_id)
    return suspended


async def _finish(writer: JobWriter, run: ActiveRun, ui: JobUI) -> RunOutcome:
    try:
        result = await run.task
    except (Exception, asyncio.CancelledError) as exc:
        return await _ended_by(writer, run, ui, exc)
    result = _jsonable(result)
    try:
        await writer.complete(result)
    except JobLost:
        return RunOutcome("cancelled")
    return RunOutcome("succeeded", result=result)


async def _fail(writer: JobWriter, error: str, reason: str) -> RunOutcome:
    try:
        await writer.fail(error, reason)
    except JobLost:
        return RunOutcome("cancelled")
    return RunOutcome("failed", error=error)


def _jsonable(value: Any) -> Any:
    """The workflow's result as JSON data; anything JSON cannot carry becomes its ``str``."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value
