"""Starting a job: the checks and writes shared by ``POST /jobs`` and the FastAgency socket."""

from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from agentjobs import keys
from agentjobs.budgets import daily_limits_reached, next_utc_day, utc_day
from agentjobs.protocol import WorkflowInfo
from agentjobs.protocol.bodies import Budget
from agentjobs.scripts.rate_limit import rate_limit
from backend import catalog, metrics
from backend.job_outcomes import TooManyActiveJobs
from backend.params import params_errors
from backend.queue import ENQUEUE_ERRORS
from backend.services import Services
from backend.webhook_targets import webhook_targets

log = logging.getLogger(__name__)


class StartRefused(Exception):
    """The job was not started; ``status_code`` says why in HTTP terms, ``detail`` in words.

    ``detail`` is a string, or FastAPI-style error items for params failing the schema (422).
    """

    def __init__(
        self,
        status_code: int,
        detail: str | list[dict[str, Any]],
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail if isinstance(detail, str) else json.dumps(detail))
        self.status_code = status_code
        self.detail = detail
        self.headers = headers
        """HTTP headers of the refusal (``Retry-After`` for the create rate)."""


async def check_create_rate(services: Services, user: str, *, take: bool) -> None:
    """Raise ``StartRefused`` (429, ``Retry-After``) when ``user`` is past the create rate;
    with ``take``, count a start against it (``create_rate_per_user``, across API processes)."""
    rate = services.settings.create_rate
    if rate is None:
        return
    interval_ms = math.ceil(rate.per_seconds * 1000 / rate.count)
    result = await rate_limit(
        services.redis,
        keys.user_create_rate(user),
        interval_ms=interval_ms,
        burst=rate.count,
        take=take,
    )
    if result.allowed:
        return
    wait = result.retry_after_ms / 1000
    when = datetime.now(UTC) + timedelta(seconds=wait)
    unit = {1: "second", 60: "minute", 3600: "hour"}.get(rate.per_seconds, "period")
    raise StartRefused(
        429,
        f"you are starting jobs faster than {rate.count} per {unit}: the next one may start "
        f"in {wait:.1f} s (at {when.isoformat(timespec='milliseconds')})",
        {"Retry-After": str(max(1, math.ceil(wait)))},
    )


async def check_daily_budget(services: Services, user: str) -> None:
    """Raise ``StartRefused`` (429, ``Retry-After``: the next UTC midnight) when ``user``'s
    model use today reached ``AGENTJOBS_USER_DAILY_TOKENS`` or ``..._COST_USD``."""
    settings = services.settings
    if settings.user_daily_tokens is None and settings.user_daily_cost_usd is None:
        return
    raw = await services.redis.hmget(keys.user_day_usage(user, utc_day()), ["tokens", "cost"])
    reached = daily_limits_reached(settings, float(raw[0] or 0), float(raw[1] or 0))
    if reached is None:
        return
    resets = next_utc_day()
    wait = (resets - datetime.now(UTC)).total_seconds()
    raise StartRefused(
        429,
        f"your daily model budget is used up ({reached}); it resets at "
        f"{resets.isoformat()} (in {wait:.0f} s)",
        {"Retry-After": str(max(1, math.ceil(wait)))},
    )


async def check_start(services: Services, workflow: str, params: dict[str, Any]) -> WorkflowInfo:
    """The workflow's catalog entry, once ``params`` fit it; raises ``StartRefused`` otherwise.

    404 unknown workflow (never published, or forgotten: ``backend.catalog``), 413 params too
    large, 422 params failing the workflow's schema. A workflow no live worker serves is fine.
    """
    info = await services.store.workflow(workflow, services.settings.worker_seen_seconds)
    if info is None:
        raise StartRefused(404, f"unknown workflow {workflow!r}")
    limit = services.settings.max_params_bytes
    if len(json.dumps(params)) > limit:
        raise StartRefused(413, f"params are larger than {limit} bytes")
    errors = params_errors(info.params_schema, params)
    if errors:
        raise StartRefused(422, errors)
    return info


@dataclass(frozen=True)
class AcceptedJob:
    """A job recorded (``job_queued``), its run task queued with it or still to be sent."""

    job_id: str
    workflow: str
    info: WorkflowInfo
    version: str | None
    queued: bool
    """The create script queued the run task with the record: there is nothing to send."""


async def start_job(
    services: Services,
    user: str,
    workflow: str,
    params: dict[str, Any],
    webhook_url: str | None = None,
    budget: Budget | None = None,
) -> tuple[str, WorkflowInfo]:
    """Check, record (``job_queued``) and enqueue a job; returns its id and catalog entry
    (``accept_job``, then ``send_job``)."""
    job = await accept_job(services, user, workflow, params, webhook_url, budget)
    await send_job(services, job)
    return job.job_id, job.info


async def accept_job(
    services: Services,
    user: str,
    workflow: str,
    params: dict[str, Any],
    webhook_url: str | None = None,
    budget: Budget | None = None,
    job_id: str | None = None,
    with_task: bool = True,
) -> AcceptedJob:
    """Check and record a job (``job_queued``): from here on it is never lost, sent or not.

    The job is pinned to the newest version live workers serve (``backend.catalog.runs_on``).

    Raises ``StartRefused``: the ``check_start`` codes, 429 past the per-user create rate (with
    ``Retry-After``) or cap of active jobs, or over the user's daily model budget. ``job_id``:
    the new job's id when the caller drew it (a new one otherwise). ``with_task``: queue the
    run task with the record where the broker allows (else ``send_job`` does, after).
    """
    info = await check_start(services, workflow, params)
    targets = webhook_targets(services.settings, webhook_url)  # 422 when it cannot be signed
    await check_daily_budget(services, user)
    await check_create_rate(services, user, take=True)
    job_id = job_id or uuid.uuid4().hex
    limit = services.settings.max_active_jobs_per_user
    # The newest version live workers serve; with none live, the job stays unpinned on the
    # workflow's queue and the first worker to take it pins it to its version.
    version = catalog.runs_on(info)
    task = await services.queue.new_job_task(job_id, workflow, version) if with_task else None
    try:
        await services.store.create(
            job_id,
            workflow,
            params,
            user,
            max_active=limit,
            waiting_for_worker=not info.available,
            version=version,
            webhooks=targets,
            budget=budget,
            task=task,
        )
    except TooManyActiveJobs as exc:
        raise StartRefused(
            429,
            f"you have {exc.active} active jobs (queued, running or waiting for input) and the "
            f"limit is {exc.limit}: wait for one to finish or cancel one",
        ) from exc
    metrics.job_started(workflow)
    return AcceptedJob(job_id, workflow, info, version, queued=task is not None)


async def send_job(services: Services, job: AcceptedJob) -> None:
    """Send the accepted job's run task to its version's queue, unless it was queued with the
    job: queued by a script where the broker is the job store's Redis, else sent by Celery.
    A task not queued is sent again by the reaper (``agentjobs.scripts.resend``): this never
    raises for it."""
    if job.queued:
        return
    try:
        task = await services.queue.new_job_task(job.job_id, job.workflow, job.version)
        if task is not None:
            await services.store.queue_task(job.job_id, task)
            return
        await services.queue.enqueue(job.job_id, job.workflow, version=job.version)
    except ENQUEUE_ERRORS as exc:
        log.warning(
            "job %s: the broker refused its task (%r); the reaper resends it", job.job_id, exc
        )
    else:
        await services.store.sent(job.job_id)
