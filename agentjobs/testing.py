"""Run a registered workflow in-process with scripted answers: no Redis, Celery or server.

::

    from agentjobs.testing import run_workflow

    def test_trip() -> None:
        run = run_workflow(registry, "trip_planner", {"days": 2}, answers=["Lisbon", "Great!"])
        assert run.status == "succeeded", run.error
        assert "Lisbon" in run.result

The run sees what it would see in a worker: its params validated by the workflow's params
model, a ``JobUI`` whose answers come from ``answers``, ``chat_client`` models journaled through
it, the workflow's ``input_timeout`` and ``time_limit``, and the same event log a client would
read (``job_queued``, ``workflow_started``, ..., ``input_received`` after each answer, then
``workflow_completed``, ``workflow_failed`` or ``workflow_cancelled``). Mistakes in the test
itself raise: an unknown workflow (``UnknownWorkflow``, a ``KeyError``) and params the API would
refuse (``InvalidParams``, a ``ValueError``). Everything the workflow does, including asking a
question the script has no answer for, ends in the returned ``RunResult``.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from agentjobs.memory_sink import CANCEL, Answer, BadAnswer, Cancel, MemorySink, OutOfAnswers
from agentjobs.protocol import (
    AnswerValue,
    Event,
    FailureReason,
    InputRequest,
    JobQueued,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)
from agentjobs.ui import CURRENT_UI, InputTimeout, JobUI
from agentjobs.workflows import Workflow, Workflows

__all__ = [
    "CANCEL",
    "Answer",
    "Answers",
    "BadAnswer",
    "InvalidParams",
    "OutOfAnswers",
    "RunResult",
    "UnknownWorkflow",
    "run_workflow",
    "run_workflow_async",
]

Answers = Sequence[Answer] | Callable[[InputRequest], AnswerValue | Cancel]
"""Answers in the order the questions come (each a value, ``CANCEL`` or a function of the
request), or one function answering every question."""

WORKER_NAME = "agentjobs.testing"
"""The ``worker`` named in the run's ``workflow_started`` event."""


class UnknownWorkflow(KeyError):
    """No workflow of that name is registered."""

    def __str__(self) -> str:
        return str(self.args[0])


class InvalidParams(ValueError):
    """The params do not fit the workflow's params model (the API would answer 422)."""

    def __init__(self, workflow: str, error: ValidationError) -> None:
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(params)'}: {e['msg']}"
            for e in error.errors()
        )
        super().__init__(f"invalid params for workflow {workflow!r}: {fields}")
        self.errors = error.errors()


@dataclass(frozen=True)
class RunResult:
    """How an in-process run ended, and every event it wrote."""

    status: Literal["succeeded", "failed", "cancelled"]
    result: Any
    """The workflow's return value as a client gets it: JSON data (``str`` of anything else)."""
    error: str | None
    """Why it failed, as the job's ``error`` would say."""
    reason: FailureReason | None
    """The failure's ``reason`` (``exception``, ``input_timeout``, ``timeout``, ...)."""
    events: tuple[Event, ...]
    """The job's event log in order, each with an increasing ``id``."""
    exception: BaseException | None = None
    """What the workflow raised, for its traceback (None unless it failed that way)."""

    def of_type(self, event_type: str) -> list[Any]:
        """The events of one ``type`` (``"text_message"``, ``"tool_call"``, ...), in order."""
        return [event for event in self.events if event.type == event_type]

    @property
    def types(self) -> list[str]:
        """The event types, in order."""
        return [event.type for event in self.events]


def run_workflow(
    registry: Workflows,
    name: str,
    params: Mapping[str, Any] | BaseModel | None = None,
    answers: Answers | None = None,
    *,
    user: str = "tester",
    job_id: str = "job-1",
    time_limit: float | None = None,
) -> RunResult:
    """Run workflow ``name`` of ``registry`` to its end and return how it ended (blocking).

    For plain (sync) tests; inside an event loop use ``await run_workflow_async(...)``.
    ``time_limit`` (seconds) overrides the workflow's own; past it the run fails (``timeout``).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            "run_workflow blocks, so it cannot run inside an event loop (an async test): "
            "use 'await run_workflow_async(...)' there"
        )
    return asyncio.run(
        run_workflow_async(
            registry, name, params, answers, user=user, job_id=job_id, time_limit=time_limit
        )
    )


async def run_workflow_async(
    registry: Workflows,
    name: str,
    params: Mapping[str, Any] | BaseModel | None = None,
    answers: Answers | None = None,
    *,
    user: str = "tester",
    job_id: str = "job-1",
    time_limit: float | None = None,
) -> RunResult:
    """Like ``run_workflow``, on the running event loop."""
    workflow = registry.get(name)
    if workflow is None:
        known = ", ".join(repr(w.name) for w in registry) or "none"
        raise UnknownWorkflow(f"no workflow {name!r} is registered (known: {known})")
    raw = _raw_params(params)
    try:
        validated = workflow.params.model_validate(raw)
    except ValidationError as exc:
        raise InvalidParams(name, exc) from exc
    sink = MemorySink(answers if answers is not None else (), out_of_answers="fail")
    ui = JobUI(sink, job_id=job_id, user=user, workflow=name, input_timeout=workflow.input_timeout)
    await sink.emit(JobQueued(job_id=job_id, workflow=name, params=raw))
    await sink.emit(WorkflowStarted(job_id=job_id, workflow=name, worker=WORKER_NAME))
    limit = time_limit if time_limit is not None else workflow.time_limit
    return await _run(workflow, validated, ui, sink, limit)


def _raw_params(params: Mapping[str, Any] | BaseModel | None) -> dict[str, Any]:
    """The params as the API would store them: a JSON object."""
    if params is None:
        return {}
    if isinstance(params, BaseModel):
        return params.model_dump(mode="json")
    # Through JSON, as a real request's params are: a tuple arrives as a list, and so on.
    loaded: dict[str, Any] = json.loads(json.dumps(dict(params)))
    return loaded


async def _run(
    workflow: Workflow, params: BaseModel, ui: JobUI, sink: MemorySink, limit: float | None
) -> RunResult:
    # Model clients built inside the workflow find its UI here, as in a worker; a copied
    # context keeps the caller's own CURRENT_UI untouched.
    context = contextvars.copy_context()
    context.run(CURRENT_UI.set, ui)
    main = asyncio.create_task(workflow.func(ui, params), context=context)
    sink.cancel_run = main.cancel
    timed_out = False

    def expire() -> None:
        nonlocal timed_out
        timed_out = True
        main.cancel()

    timer = asyncio.get_running_loop().call_later(limit, expire) if limit else None
    try:
        # A cancel of this call reaches the workflow too, and is not a result: it propagates.
        value = await main
    except (Exception, asyncio.CancelledError) as exc:
        current = asyncio.current_task()
        if isinstance(exc, asyncio.CancelledError) and current and current.cancelling():
            raise
        if timed_out:
            error = f"the run took longer than its {limit:g} s limit"
            return await _failed(ui, sink, error, "timeout", None)
        return await _ended_by(ui, sink, exc)
    finally:
        if timer is not None:
            timer.cancel()
    result = _jsonable(value)
    await sink.emit(WorkflowCompleted(job_id=ui.job_id, result=result))
    return _result(sink, "succeeded", result=result)


async def _ended_by(ui: JobUI, sink: MemorySink, exc: BaseException) -> RunResult:
    # Agent frameworks may wrap what a question raised; the UI kept the original.
    cause = ui.stopped_by or exc
    if isinstance(cause, asyncio.CancelledError):
        await sink.emit(WorkflowCancelled(job_id=ui.job_id, by="user"))
        return _result(sink, "cancelled")
    if isinstance(cause, InputTimeout):
        return await _failed(ui, sink, str(cause), "input_timeout", cause)
    return await _failed(ui, sink, f"{type(cause).__name__}: {cause}", "exception", cause)


async def _failed(
    ui: JobUI, sink: MemorySink, error: str, reason: FailureReason, exc: BaseException | None
) -> RunResult:
    await sink.emit(WorkflowFailed(job_id=ui.job_id, error=error, reason=reason))
    return _result(sink, "failed", error=error, reason=reason, exception=exc)


def _result(
    sink: MemorySink,
    status: Literal["succeeded", "failed", "cancelled"],
    *,
    result: Any = None,
    error: str | None = None,
    reason: FailureReason | None = None,
    exception: BaseException | None = None,
) -> RunResult:
    return RunResult(status, result, error, reason, tuple(sink.events), exception)


def _jsonable(value: Any) -> Any:
    """The result as a client reads it back: JSON data, or the ``str`` of anything else."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return str(value)
