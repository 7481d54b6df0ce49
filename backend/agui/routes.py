"""``POST /ag-ui/{workflow}``: AG-UI's ``RunAgentInput`` in, its event stream out (SSE).

A thread is one job: the first run on a new ``threadId`` starts it (params from
``forwardedProps.params``, else ``state``), a run ends in an interrupt while the job waits
for a human, and a run whose ``resume`` answers the interrupt streams the rest of the same
job. A run on a known thread without ``resume`` re-attaches: it replays the current run.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from ag_ui.core import ResumeEntry, RunAgentInput
from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from agentjobs.logging_setup import bind_job
from agentjobs.protocol import AnswerValue, JobRecord
from backend.agui import threads
from backend.agui.stream import run_body
from backend.agui.threads import Thread
from backend.agui.translate import RunTranslator
from backend.answers import AnswerRejected, submit_answer
from backend.deps import CurrentUser, ServicesDep, load_job
from backend.job_outcomes import CancelOutcome
from backend.job_start import StartRefused, start_job
from backend.services import Services
from backend.socket_cap import stream_slot

router = APIRouter(tags=["ag-ui"])

_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No caching, and no buffering in nginx-style proxies: events must reach the client at once."""


def params_from(body: RunAgentInput) -> dict[str, Any]:
    """The new job's params: ``forwardedProps.params`` when given, else the whole ``state``.

    Either must be a JSON object; neither given: no params (the workflow's defaults).
    """
    props = body.forwarded_props
    if isinstance(props, dict) and "params" in props:
        params, where = props["params"], "forwardedProps.params"
    elif body.state is not None:
        params, where = body.state, "state"
    else:
        return {}
    if not isinstance(params, dict):
        raise _unprocessable(where, "the workflow's params must be a JSON object")
    return params


def answer_from(entry: ResumeEntry) -> AnswerValue:
    """A resolved entry's payload as an answer: text, or a list of texts (several choices).

    ``{"value": ...}`` (what a form returns) is accepted too.
    """
    payload = entry.payload
    if isinstance(payload, dict) and set(payload) == {"value"}:
        payload = payload["value"]
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict) and "decision" in payload:  # a tool approval's decision
        return payload
    if isinstance(payload, list) and all(isinstance(item, str) for item in payload):
        return payload
    raise _unprocessable("resume.0.payload", "the answer must be a string or a list of strings")


def _unprocessable(where: str, message: str) -> HTTPException:
    loc = ["body", *(int(p) if p.isdigit() else p for p in where.split("."))]
    return HTTPException(422, [{"type": "value_error", "loc": loc, "msg": message}])


@router.post(
    "/ag-ui/{workflow}",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The run as AG-UI events over SSE: RUN_STARTED ... RUN_FINISHED "
            "(success, interrupt or cancelled) or RUN_ERROR",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        404: {"description": "Unknown workflow, or a `resume` on a thread that never ran"},
        409: {
            "description": "The thread runs another workflow, is being started by another "
            "request, or the interrupt resumed is not pending on it (another job's request)"
        },
        413: {"description": "Params or answer too large"},
        422: {
            "description": "Not a RunAgentInput, params failing the workflow's schema, or "
            "an answer that does not fit the question"
        },
        429: {
            "description": "Too many active jobs, starting runs faster than the create "
            "rate (`Retry-After`), or too many job streams open (`AGENTJOBS_MAX_SOCKETS_PER_USER`)"
        },
    },
)
async def run_agent(
    workflow: str, body: RunAgentInput, services: ServicesDep, user: CurrentUser
) -> StreamingResponse:
    """Run the workflow as an AG-UI agent: one thread is one job (`docs/protocols.md`)."""
    # The stream counts against the user's cap on open job streams, before anything starts.
    slot = await stream_slot(services, user)
    try:
        translator = await _run_translator(services, user, workflow, body)
    except BaseException:
        await slot.aclose()
        raise
    return StreamingResponse(
        _holding(slot, run_body(services, translator)),
        media_type="text/event-stream",
        headers=_SSE_HEADERS,
    )


async def _holding(
    slot: contextlib.AsyncExitStack, body: AsyncGenerator[str, None]
) -> AsyncIterator[str]:
    """``body``, with the user's stream slot held until it ends or the client leaves."""
    async with slot, contextlib.aclosing(body):
        async for text in body:
            yield text


async def _run_translator(
    services: Services, user: str, workflow: str, body: RunAgentInput
) -> RunTranslator:
    """The thread's job, started or resumed as the request asks, and its run's translator."""
    thread = await threads.load(services.redis, user, body.thread_id)
    if thread is None:
        if body.resume:
            raise HTTPException(404, f"thread {body.thread_id!r} not found: nothing to resume")
        thread = await _start_thread(services, user, workflow, body)
    else:
        if thread.starting:
            raise HTTPException(409, "the thread's job is being started: try again shortly")
        if thread.workflow != workflow:
            raise HTTPException(409, f"thread {body.thread_id!r} runs {thread.workflow!r}")
        record = await load_job(services, user, thread.job_id)
        if body.resume:
            thread = await _resume(services, user, thread, record, body.resume)
    bind_job(job_id=thread.job_id, workflow=workflow, user=user)
    return RunTranslator(
        job_id=thread.job_id,
        workflow=workflow,
        thread_id=body.thread_id,
        run_id=body.run_id,
        start=thread.after,
    )


async def _start_thread(
    services: Services, user: str, workflow: str, body: RunAgentInput
) -> Thread:
    """Start the job of a new thread (``start_job``: its checks, create rate and cap)."""
    try:
        params = params_from(body)
    except HTTPException:
        # An unknown workflow is the first thing wrong with the request: say that.
        if await services.store.workflow(workflow, services.settings.worker_seen_seconds) is None:
            raise HTTPException(404, f"unknown workflow {workflow!r}") from None
        raise
    claimed = await threads.claim(services.redis, user, body.thread_id, workflow)
    if claimed is None:
        raise HTTPException(409, "the thread's job is being started: try again shortly")
    try:
        job_id, _info = await start_job(services, user, workflow, params)
    except StartRefused as exc:
        await threads.release(services.redis, claimed)
        raise HTTPException(exc.status_code, exc.detail, headers=exc.headers) from exc
    except BaseException:
        await threads.release(services.redis, claimed)
        raise
    return await threads.bind(services.redis, claimed, job_id, services.settings.retention_seconds)


async def _resume(
    services: Services,
    user: str,
    thread: Thread,
    record: JobRecord,
    entries: list[ResumeEntry],
) -> Thread:
    """Answer (or cancel) the thread's pending request; the next run starts after it."""
    if len(entries) > 1:
        raise _unprocessable("resume", "one interrupt is pending at a time: resume it alone")
    entry = entries[0]
    if entry.interrupt_id == thread.answered:
        return thread  # resumed already (the stream dropped): replay that run
    pending = record.pending
    if pending is None or pending.request_id != entry.interrupt_id:
        raise HTTPException(
            409,
            f"interrupt {entry.interrupt_id!r} is not pending on this thread "
            f"(its job {record.job_id} is {record.status})",
        )
    if entry.status == "cancelled":
        outcome = await services.store.cancel(record.job_id, by=user, record=record)
        if outcome is CancelOutcome.ALREADY_FINISHED:
            raise HTTPException(409, f"job {record.job_id!r} has already finished")
    else:
        limit = services.settings.max_answer_bytes
        try:
            await submit_answer(
                services.store, record, entry.interrupt_id, answer_from(entry), limit
            )
        except AnswerRejected as exc:
            raise HTTPException(exc.status_code, exc.detail) from exc
    ttl = services.settings.retention_seconds
    return await threads.advance(services.redis, thread, pending.id, entry.interrupt_id, ttl)
