"""The job routes: start, list, read, answer and cancel jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from agentjobs.logging_setup import bind_job
from agentjobs.protocol import InputAnswer, JobCreate, JobCreated, JobList, JobRecord, JobStatus
from backend.answers import AnswerRejected, submit_answer
from backend.deps import CurrentUser, ServicesDep, load_job
from backend.job_start import StartRefused, start_job
from backend.store import CancelOutcome

router = APIRouter(tags=["jobs"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job (or not yours)"},
}
MAX_OFFSET = 1_000_000_000
"""Past any real job list; a bound keeps Redis's 64-bit range arithmetic from overflowing."""


@router.post(
    "/jobs",
    status_code=202,
    responses={
        404: {"description": "Unknown workflow"},
        413: {"description": "Params too large"},
        429: {"description": "The caller has too many active jobs"},
        503: {"description": "The job could not be queued"},
    },
)
async def create_job(
    body: JobCreate, request: Request, services: ServicesDep, user: CurrentUser
) -> JobCreated:
    """Start a job: record it, log ``job_queued`` and put its task on the queue."""
    try:
        job_id, _info = await start_job(services, user, body.workflow, body.params)
    except StartRefused as exc:
        raise HTTPException(exc.status_code, exc.detail) from exc
    bind_job(job_id=job_id, workflow=body.workflow, user=user)  # for the access log line
    return JobCreated(
        job_id=job_id,
        status=JobStatus.QUEUED,
        workflow=body.workflow,
        events_url=request.url_for("read_events", job_id=job_id).path,
        ws_url=request.url_for("job_socket", job_id=job_id).path,
    )


@router.get("/jobs")
async def list_jobs(
    services: ServicesDep,
    user: CurrentUser,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    """The caller's jobs, newest first."""
    jobs, total = await services.store.list_for_user(user, offset, limit)
    return JobList(jobs=jobs, total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}", responses=_ERRORS)
async def get_job(job_id: str, services: ServicesDep, user: CurrentUser) -> JobRecord:
    """The job record: status, params, timestamps, pending input, result or error."""
    return await load_job(services, user, job_id)


@router.post(
    "/jobs/{job_id}/input",
    responses={
        **_ERRORS,
        409: {"description": "The request is not pending (answered already, or unknown)"},
        413: {"description": "Answer too large"},
    },
)
async def answer_input(
    job_id: str, body: InputAnswer, services: ServicesDep, user: CurrentUser
) -> JobRecord:
    """Answer the job's pending request; returns the job as it is after the answer."""
    record = await load_job(services, user, job_id)
    try:
        await submit_answer(
            services.store, record, body.request_id, body.value, services.settings.max_answer_bytes
        )
    except AnswerRejected as exc:
        raise HTTPException(exc.status_code, exc.detail) from exc
    return await load_job(services, user, job_id)


@router.post(
    "/jobs/{job_id}/cancel",
    responses={**_ERRORS, 409: {"description": "The job has already finished"}},
)
async def cancel_job(job_id: str, services: ServicesDep, user: CurrentUser) -> JobRecord:
    """Cancel a queued or running job: it is ``cancelled`` at once and its worker stops it."""
    record = await load_job(services, user, job_id)
    outcome = await services.store.cancel(job_id, by=user, record=record)
    if outcome is CancelOutcome.ALREADY_FINISHED:
        raise HTTPException(409, f"job {job_id!r} has already finished ({record.status})")
    return await load_job(services, user, job_id)
