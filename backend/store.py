"""The job store: reads and the client-side changes of jobs in Redis (create, answer, cancel,
delete).

Every change runs one script from ``agentjobs.scripts``; worker-side changes live in
``worker.job_writer`` and use the same scripts. Reading the event log is ``backend.event_log``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any, cast

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.job_metrics import end_increments
from agentjobs.protocol import (
    AnswerSource,
    AnswerValue,
    InputReceived,
    JobQueued,
    JobRecord,
    JobStatus,
    Progress,
    WorkflowCancelled,
    WorkflowInfo,
    utcnow,
)
from agentjobs.protocol.bodies import Budget
from agentjobs.records import record_from_hash
from agentjobs.scripts import resend
from agentjobs.scripts.create import QueuedTask, queue_task
from agentjobs.settings import RedisSettings
from agentjobs.tracing import trace_fields
from backend import catalog, event_log, job_listing
from backend.hand_back import Requeue, hand_back
from backend.job_outcomes import (
    AnswerOutcome,
    CancelOutcome,
    DeleteOutcome,
    TakenAnswer,
    TooManyActiveJobs,
)

log = logging.getLogger(__name__)

SECRET_MASK = "********"
"""What watchers see in ``input_received`` for an answer to a password input."""


class JobStore:
    """Client-side access to jobs: what the API needs, and nothing that runs workflows."""

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        requeue: Requeue | None = None,
        requeue_check_seconds: float = 60.0,
        worker_seen_seconds: float = 60.0,
        catalog_cache_seconds: float = 0.0,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self._requeue = requeue
        self._requeue_check_ms = int(requeue_check_seconds * 1000)
        self._worker_seen_seconds = worker_seen_seconds
        self._catalog = catalog.CatalogCache(catalog_cache_seconds)

    async def create(
        self,
        job_id: str,
        workflow: str,
        params: dict[str, Any],
        user: str,
        *,
        max_active: int = 0,
        webhooks: str = "",
        waiting_for_worker: bool = False,
        version: str | None = None,
        budget: Budget | None = None,
        task: QueuedTask | None = None,
    ) -> str:
        """Write the record and the ``job_queued`` event; returns the event's cursor.

        Raises ``TooManyActiveJobs`` when ``user`` already has ``max_active`` (> 0) active jobs;
        the count and the write are one atomic step. ``waiting_for_worker``: no live worker
        serves ``workflow``; the record and a ``progress`` event say so. ``version``: pin the job
        to it (counted as unfinished there). ``budget``: the job's own limits on model use.
        ``task``: the job's run task, queued in the same step; without one, call ``sent`` once
        the broker took the job's task, or the reaper sends it again.
        """
        now = utcnow()
        event = JobQueued(job_id=job_id, workflow=workflow, params=params, ts=now)
        waiting = (
            Progress(job_id=job_id, content=catalog.waiting_message(workflow), ts=now)
            if waiting_for_worker
            else None
        )
        fields = (
            {
                "job_id": job_id,
                "workflow": workflow,
                "params": json.dumps(params),
                "user": user,
                "status": JobStatus.QUEUED.value,
                "created_at": now.isoformat(),
                "attempt": "0",
            }
            | ({"waiting_for_worker": "1"} if waiting_for_worker else {})
            | trace_fields()
        )
        if webhooks:
            fields["webhooks"] = webhooks  # the outbox's targets (agentjobs/scripts/outbox.py)
        if version is not None:
            fields["workflow_version"] = version
        if budget is not None:
            fields["budget"] = budget.model_dump_json(exclude_none=True)
        result = await scripts.create(
            self.redis,
            job_id=job_id,
            user=user,
            event=event,
            fields=fields,
            max_active=max_active,
            maxlen=self.settings.event_log_maxlen,
            retention_seconds=self.settings.retention_seconds,
            send_check_ms=self._requeue_check_ms,
            waiting=waiting,
            task=task,
        )
        if result.outcome is scripts.Creation.TOO_MANY:
            raise TooManyActiveJobs(result.active, max_active)
        if result.outcome is not scripts.Creation.CREATED:
            raise RuntimeError(f"job {job_id} already exists")
        return result.cursor

    async def queue_task(self, job_id: str, task: QueuedTask) -> None:
        """Queue the run task of a job created without one (``sent`` included)."""
        await queue_task(self.redis, job_id, task)

    async def sent(self, job_id: str) -> None:
        """The broker took the new job's task: it no longer needs the reaper's re-send."""
        await resend.sent(self.redis, job_id)

    async def get(self, job_id: str) -> JobRecord | None:
        """The job's record, or None when there is no such job."""
        raw = cast(dict[str, str], await self.redis.hgetall(keys.job(job_id)))
        return record_from_hash(raw) if raw else None

    async def list_for_user(
        self, user: str, offset: int, limit: int, statuses: Collection[JobStatus] = ()
    ) -> tuple[list[JobRecord], int]:
        """A page of the user's jobs, newest first, and how many there are (``job_listing``)."""
        return await job_listing.user_jobs(self.redis, user, offset, limit, statuses)

    async def read_page(
        self, job_id: str, after: str, limit: int | None, max_bytes: int | None = None
    ) -> event_log.EventPage:
        """Events strictly after the cursor ``after`` (``"0"`` for all), oldest first, bounded
        in number and bytes; raises ``CursorTooOld`` when the log was trimmed past it (see
        ``event_log.read_page``)."""
        return await event_log.read_page(self.redis, job_id, after, limit, max_bytes)

    async def answer(
        self,
        job_id: str,
        request_id: str,
        value: AnswerValue,
        *,
        secret: bool = False,
        by: str = "",
        idempotency_key: str = "",
        source: AnswerSource = "human",
    ) -> AnswerOutcome:
        """Deliver an answer to the pending request ``request_id``, atomically.

        A ``secret`` answer (to a password input) reaches the worker but is masked in the log,
        and sealed with ``AGENTJOBS_SECRETS_KEY`` (or withheld) everywhere else in Redis.
        ``by`` answered (empty: the deadline); the same ``by`` and ``idempotency_key`` again
        is ``REPEATED``; ``answered`` says who took a request that is not pending any more.
        """
        shown = SECRET_MASK if secret else value
        event = InputReceived(
            job_id=job_id, request_id=request_id, value=shown, by=by or None, source=source
        )
        result = await scripts.answer(
            self.redis,
            job_id=job_id,
            request_id=request_id,
            value=value,
            event=event,
            maxlen=self.settings.event_log_maxlen,
            reply_ttl_seconds=self.settings.retention_seconds,
            requeue_check_ms=self._requeue_check_ms,
            by=by,
            idempotency_key=idempotency_key,
            secret=secret,
            key=self.settings.secrets_key,
        )
        if result.outcome is scripts.Delivery.REQUEUED:
            # The job was suspended (no worker holds it): a worker replays it from here.
            # A refused requeue is not the person's concern: the answer is journaled.
            await hand_back(
                self.redis,
                self._requeue,
                job_id,
                result.workflow,
                "after its answer",
                seen_within=self._worker_seen_seconds,
                maxlen=self.settings.event_log_maxlen,
            )
        if result.outcome in (scripts.Delivery.DELIVERED, scripts.Delivery.REQUEUED):
            return AnswerOutcome.ACCEPTED
        if result.outcome is scripts.Delivery.MISSING:
            return AnswerOutcome.MISSING
        if result.outcome is scripts.Delivery.REPEATED:
            return AnswerOutcome.REPEATED
        return AnswerOutcome.NOT_PENDING

    async def answered(self, job_id: str, request_id: str) -> TakenAnswer | None:
        """Who took ``request_id`` (kept by the answer script), or None if nobody did."""
        raw = await self.redis.hget(keys.job(job_id), f"answer:{request_id}")
        if raw is None:
            return None
        taken = json.loads(raw)
        return TakenAnswer(taken["by"], taken["source"], taken["key"])

    async def cancel(
        self, job_id: str, by: str = "user", record: JobRecord | None = None
    ) -> CancelOutcome:
        """Cancel a queued or running job: terminal at once; its worker is told to stop.

        ``record``: the job as the caller just read it, if it did (for the job's metrics).
        """
        event = WorkflowCancelled(job_id=job_id, by=by)
        known = record or await self.get(job_id)
        counted = end_increments(known, JobStatus.CANCELLED, event.ts)
        result = await scripts.cancel(
            self.redis,
            job_id=job_id,
            event=event,
            metrics=counted,
            maxlen=self.settings.event_log_maxlen,
            retention_seconds=self.settings.retention_seconds,
        )
        if result.outcome is scripts.Cancellation.CANCELLED:
            return CancelOutcome.CANCELLED
        if result.outcome is scripts.Cancellation.MISSING:
            return CancelOutcome.MISSING
        return CancelOutcome.ALREADY_FINISHED

    async def delete(self, job_id: str, user: str) -> DeleteOutcome:
        """Remove ``user``'s finished job with its event log, journal and index entries.

        An unfinished job (``UNFINISHED``) or another user's (``MISSING``) is left alone; the
        check and the deletes are one script.
        """
        result = await scripts.delete(self.redis, job_id=job_id, user=user)
        if result.outcome is scripts.Deletion.DELETED:
            return DeleteOutcome.DELETED
        if result.outcome is scripts.Deletion.UNFINISHED:
            return DeleteOutcome.UNFINISHED
        return DeleteOutcome.MISSING

    async def catalog(self, seen_within: float = 60.0) -> list[WorkflowInfo]:
        """Every workflow published and not forgotten, sorted by name, with its live workers
        (heartbeat within ``seen_within`` seconds); see ``backend.catalog``."""
        return await self._catalog.catalog(self.redis, seen_within)

    async def workflow(self, name: str, seen_within: float = 60.0) -> WorkflowInfo | None:
        """One catalog entry with its live workers, or None when ``name`` was never published
        (or no worker served it for ``backend.catalog.FORGET_SECONDS``); up to
        ``catalog_cache_seconds`` old (``backend.catalog.CatalogCache``)."""
        return await self._catalog.workflow(self.redis, name, seen_within)

    async def workers_seen(self, since: float) -> list[str]:
        """Workers whose last heartbeat is at or after the epoch time ``since``."""
        raw = cast(dict[str, str], await self.redis.hgetall(keys.WORKERS))
        return sorted(name for name, beat in raw.items() if float(beat) >= since)
