"""The reaper: ends what no worker will: lost leases and expired questions of suspended jobs.

A job whose worker stopped renewing its lease fails with ``worker_lost`` (or, under the
``resume`` policy, is requeued and replayed); a suspended job whose question timed out is
answered with the question's default (and requeued), or fails with ``input_timeout`` without
one; a new job whose task never reached the broker (the API died before sending it, or the
broker refused it) is sent again.

Every API process runs one; the reap script re-checks each job atomically, so several reapers
never fail a job twice, and a job whose lease was renewed meanwhile is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentjobs import keys, scripts
from agentjobs.job_metrics import end_increments
from agentjobs.protocol import FailureReason, JobStatus, WorkflowFailed
from agentjobs.records import record_from_hash
from agentjobs.scripts import resend
from backend.answers import apply_deadline_default
from backend.hand_back import Requeue, hand_back, pinned_version
from backend.queue import ENQUEUE_ERRORS
from backend.settings import ApiSettings
from backend.store import JobStore

log = logging.getLogger(__name__)

WORKER_LOST = "the worker running this job stopped (its lease expired without a final event)"
INPUT_EXPIRED = "nobody answered the pending question in time (the job was suspended)"
BROKER_BACKOFF_SECONDS = 5.0
"""After its broker refused a task, how long this reaper leaves hand-backs and resends to the
other API processes: claiming them only to fail, it kept the healthy ones from sending them
(one job lost the race six times running in a test)."""
OUTAGE_GRACE_SECONDS = 20.0
"""After the reaper itself could not reach Redis, how long it leaves lapsed leases alone:
the workers could not renew them either, and a live one renews within a third of its lease
(15 s by default) once Redis is back. A worker that died during the outage is reaped after."""


class Reaper:
    """Finds expired leases and fails their jobs."""

    def __init__(self, redis: Redis, settings: ApiSettings, requeue: Requeue | None = None) -> None:
        self.redis = redis
        self.settings = settings
        self._requeue = requeue
        self._store = JobStore(redis, settings, requeue, settings.requeue_check_seconds)
        self._troubled = False
        self._recovered_ms: int | None = None
        """Redis's clock when the reaper reached it again after an outage (None: no outage)."""
        self._refused_ms = -BROKER_BACKOFF_SECONDS * 1000
        """Redis's clock when the broker last refused this reaper a task."""

    async def reap_once(self) -> list[str]:
        """Handle every lease and question deadline that has passed; returns the jobs failed."""
        seconds, micros = await self.redis.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        failed = []
        for job_id in await self._due(keys.INPUT_DEADLINES, now_ms):
            if await apply_deadline_default(self._store, job_id):
                continue  # answered by its default, and requeued
            event, counted = await self._failure(job_id, INPUT_EXPIRED, "input_timeout")
            expired = await scripts.expire_input(
                self.redis,
                job_id=job_id,
                event=event,
                metrics=counted,
                maxlen=self.settings.event_log_maxlen,
                retention_seconds=self.settings.retention_seconds,
            )
            if expired.outcome is scripts.Expiry.EXPIRED:
                failed.append(job_id)
        if now_ms - self._refused_ms < BROKER_BACKOFF_SECONDS * 1000:
            return failed
        if not await self._send_unsent():
            self._refused_ms = now_ms
        if self._troubled:
            self._troubled, self._recovered_ms = False, now_ms
        if self._recovered_ms is not None:
            if now_ms - self._recovered_ms < OUTAGE_GRACE_SECONDS * 1000:
                return failed
            self._recovered_ms = None
        return failed + await self._reap_leases(now_ms)

    async def _reap_leases(self, now_ms: int) -> list[str]:
        """Fail or hand back every job whose lease lapsed; returns the jobs failed."""
        failed = []
        for job_id in await self._due(keys.LEASES, now_ms):
            event, counted = await self._failure(job_id, WORKER_LOST, "worker_lost")
            reaped = await scripts.reap(
                self.redis,
                job_id=job_id,
                event=event,
                metrics=counted,
                max_attempts=self.settings.max_resume_attempts,
                requeue_check_ms=int(self.settings.requeue_check_seconds * 1000),
                maxlen=self.settings.event_log_maxlen,
                retention_seconds=self.settings.retention_seconds,
            )
            if reaped.outcome is scripts.Reaping.REQUEUED:
                log.warning("job %s: no worker holds it; handing it back to the queue", job_id)
                sent = await hand_back(
                    self.redis,
                    self._requeue,
                    job_id,
                    reaped.workflow,
                    "from the reaper",
                    seen_within=self.settings.worker_seen_seconds,
                    maxlen=self.settings.event_log_maxlen,
                )
                if not sent:
                    self._refused_ms = now_ms
                    break  # the rest stay due, for a process whose broker takes them
            elif reaped.outcome is scripts.Reaping.REAPED:
                log.warning("job %s failed: worker lost", job_id)
                failed.append(job_id)
        return failed

    async def _send_unsent(self) -> bool:
        """Send again the tasks of new jobs the broker never took (see ``scripts.resend``);
        False when the broker refused one (the rest stay claimed until their next check)."""
        if self._requeue is None:
            return True
        check_ms = int(self.settings.requeue_check_seconds * 1000)
        for job_id, workflow in await resend.claim_unsent(self.redis, next_check_ms=check_ms):
            try:
                version = await pinned_version(self.redis, job_id)
                await self._requeue(job_id, workflow, version=version)
            except ENQUEUE_ERRORS:
                log.warning("job %s: its task could not be sent again; will retry", job_id)
                return False
            await resend.sent(self.redis, job_id)
            log.warning("job %s: its task never reached the queue; sent it again", job_id)
        return True

    async def _due(self, index: str, now_ms: int) -> list[str]:
        return cast(list[str], await self.redis.zrangebyscore(index, "-inf", now_ms))

    async def _failure(
        self, job_id: str, error: str, reason: FailureReason
    ) -> tuple[WorkflowFailed, dict[str, str]]:
        """The failure event a failing script would log for the job, and what it would count."""
        event = WorkflowFailed(job_id=job_id, error=error, reason=reason)
        raw = cast(dict[str, str], await self.redis.hgetall(keys.job(job_id)))
        counted = end_increments(record_from_hash(raw) if raw else None, JobStatus.FAILED, event.ts)
        return event, counted

    async def run_forever(self, interval: float) -> None:
        """Reap every ``interval`` seconds until cancelled; Redis outages only delay it."""
        while True:
            try:
                await self.reap_once()
            except (RedisError, OSError):
                log.warning("reaper: Redis unreachable; will retry")
                self._troubled = True
            await asyncio.sleep(interval)
