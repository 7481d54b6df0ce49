"""The job routes: start, list, read, answer, cancel and delete jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from pydantic import AfterValidator, WithJsonSchema

from agentjobs.logging_setup import bind_job
from agentjobs.protocol import InputAnswer, JobCreate, JobCreated, JobList, JobRecord, JobStatus
from backend.access import load_visible_job
from backend.answers import AnswerRejected, submit_answer
from backend.deps import CurrentUser, ServicesDep, load_job
from backend.job_outcomes import CancelOutcome, DeleteOutcome
from backend.job_start import StartRefused, start_job

router = APIRouter(tags=["jobs"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such job (or not yours)"},
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Any unique text per answer: a retry with the same key (after a lost "
        "reply) is told its answer was taken (200) instead of 409",
    ),
]
MAX_OFFSET = 1_000_000_000
"""Past any real job list; a bound keeps Redis's 64-bit range arithmetic from overflowing."""
_STATUSES = [status.value for status in JobStatus]
_ONE = "(" + "|".join(_STATUSES) + ")"


def _known_statuses(value: str) -> str:
    """A ``status`` query value: one status or a comma list of them, each one known."""
    unknown = [part for part in value.split(",") if part not in _STATUSES]
    if unknown:
        raise ValueError(f"unknown status {unknown[0]!r}; allowed: {', '.join(_STATUSES)}")
    return value


StatusParam = Annotated[
    str,
    AfterValidator(_known_statuses),
    # The schema says what passes, so fuzzers send valid filters as valid.
    WithJsonSchema({"type": "string", "pattern": f"^{_ONE}(,{_ONE})*$"}),
]


@router.post(
    "/jobs",
    status_code=202,
    responses={
        404: {"description": "Unknown workflow"},
        413: {"description": "Params too large"},
        429: {
            "description": "The caller has too many active jobs, or starts jobs faster than "
            "`AGENTJOBS_CREATE_RATE_PER_USER`, or has used up their daily model budget "
            "(`AGENTJOBS_USER_DAILY_TOKENS`, `..._COST_USD`); `Retry-After` says when to try again"
        },
        503: {"description": "The job store is unavailable (Redis down, restarting or full)"},
    },
)
async def create_job(
    body: JobCreate, request: Request, services: ServicesDep, user: CurrentUser
) -> JobCreated:
    """Start a job: record it, log ``job_queued`` and put its task on the queue."""
    try:
        job_id, _info = await start_job(
            services,
            user,
            body.workflow,
            body.params,
            webhook_url=body.webhook_url,
            budget=body.budget,
        )
    except StartRefused as exc:
        raise HTTPException(exc.status_code, exc.detail, headers=exc.headers) from exc
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
    status: Annotated[
        list[StatusParam] | None,
        Query(
            description="Only jobs in one of these statuses: repeat it, or give a comma list;"
            " an unknown status is a 422 naming the allowed ones"
        ),
    ] = None,
) -> JobList:
    """The caller's jobs, newest first; ``status`` keeps those in the given statuses."""
    wanted = {JobStatus(part) for value in status or [] for part in value.split(",")}
    jobs, total = await services.store.list_for_user(user, offset, limit, wanted)
    return JobList(jobs=jobs, total=total, offset=offset, limit=limit)


@router.get("/jobs/{job_id}", responses=_ERRORS)
async def get_job(job_id: str, services: ServicesDep, user: CurrentUser) -> JobRecord:
    """The job record: status, params, timestamps, pending input, result or error."""
    return await load_visible_job(services, user, job_id)


@router.post(
    "/jobs/{job_id}/input",
    responses={
        **_ERRORS,
        403: {"description": "The request is addressed to someone else (an assignee's call)"},
        409: {
            "description": "The request is not pending: answered already (`detail` names by "
            "whom, or says its deadline applied the default), or unknown"
        },
        413: {"description": "Answer too large"},
        422: {"description": "The value does not fit the request (`detail` names the field)"},
    },
)
async def answer_input(
    job_id: str,
    body: InputAnswer,
    services: ServicesDep,
    user: CurrentUser,
    idempotency_key: IdempotencyKey = None,
) -> JobRecord:
    """Answer a pending request (the owner any, an assignee those addressed to them); exactly
    one answer wins, and its retry with the same ``Idempotency-Key`` answers 200 again."""
    record = await load_visible_job(services, user, job_id)
    await answer_or_refuse(services, record, body, user, idempotency_key)
    return await load_visible_job(services, user, job_id)


async def answer_or_refuse(
    services: ServicesDep, record: JobRecord, body: InputAnswer, user: str, key: str | None
) -> None:
    """``submit_answer`` for a route: a refusal becomes its HTTP error."""
    try:
        await submit_answer(
            services.store,
            record,
            body.request_id,
            body.value,
            services.settings.max_answer_bytes,
            user=user,
            idempotency_key=key or "",
        )
    except AnswerRejected as exc:
        raise HTTPException(exc.status_code, exc.detail) from exc


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


@router.delete(
    "/jobs/{job_id}",
    status_code=204,
    response_class=Response,
    responses={
        204: {"description": "The job, its event log and its journal are gone"},
        **_ERRORS,
        409: {"description": "The job has not finished (cancel it first)"},
    },
)
async def delete_job(job_id: str, services: ServicesDep, user: CurrentUser) -> Response:
    """Remove a finished job: its record, event log and journal; its URLs answer 404 after."""
    outcome = await services.store.delete(job_id, user)
    if outcome is DeleteOutcome.UNFINISHED:
        raise HTTPException(409, f"job {job_id!r} has not finished; cancel it first")
    if outcome is DeleteOutcome.MISSING:
        raise HTTPException(404, f"job {job_id!r} not found")
    return Response(status_code=204)
