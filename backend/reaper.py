"""The reaper: ends what no worker will: lost leases and expired questions of suspended jobs.

A job whose worker stopped renewing its lease fails with ``worker_lost`` (or, under the
``resume`` policy, is requeued and replayed); a suspended job whose question timed out fails
with ``input_timeout``.

Every API process runs one; the reap script re-checks each job atomically, so several reapers
never fail a job twice, and a job whose lease was renewed meanwhile is left alone.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend import keys, lua
from backend.protocol import WorkflowFailed
from backend.settings import ApiSettings
from backend.store import Requeue

log = logging.getLogger(__name__)

WORKER_LOST = "the worker running this job stopped (its lease expired without a final event)"


class Reaper:
    """Finds expired leases and fails their jobs."""

    def __init__(self, redis: Redis, settings: ApiSettings, requeue: Requeue | None = None) -> None:
        self.redis = redis
        self.settings = settings
        self._requeue = requeue
        self._reap = redis.register_script(lua.REAP)
        self._expire_input = redis.register_script(lua.EXPIRE_INPUT)

    async def reap_once(self) -> list[str]:
        """Handle every lease and question deadline that has passed; returns the jobs failed."""
        seconds, micros = await self.redis.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        expired = cast(list[str], await self.redis.zrangebyscore(keys.LEASES, "-inf", now_ms))
        reaped = await self._expire_questions(now_ms)
        for job_id in expired:
            event = WorkflowFailed(job_id=job_id, error=WORKER_LOST, reason="worker_lost")
            result = await self._reap(
                keys=[
                    keys.job(job_id),
                    keys.events(job_id),
                    keys.live(job_id),
                    keys.lease(job_id),
                    keys.LEASES,
                ],
                args=[
                    job_id,
                    event.model_dump_json(exclude={"id"}),
                    self.settings.event_log_maxlen,
                    self.settings.retention_seconds,
                    event.ts.isoformat(),
                    WORKER_LOST,
                    self.settings.max_resume_attempts,
                ],
            )
            if result[0] == "requeue" and self._requeue is not None:
                log.warning("job %s: worker lost; resuming it on another worker", job_id)
                await self._requeue(job_id, str(result[1]))
            if result[0] == "reaped":
                log.warning("job %s failed: worker lost", job_id)
                reaped.append(job_id)
        return reaped

    async def _expire_questions(self, now_ms: int) -> list[str]:
        due = cast(list[str], await self.redis.zrangebyscore(keys.INPUT_DEADLINES, "-inf", now_ms))
        failed = []
        for job_id in due:
            error = "nobody answered the pending question in time (the job was suspended)"
            event = WorkflowFailed(job_id=job_id, error=error, reason="input_timeout")
            result = await self._expire_input(
                keys=[
                    keys.job(job_id),
                    keys.events(job_id),
                    keys.live(job_id),
                    keys.INPUT_DEADLINES,
                ],
                args=[
                    job_id,
                    event.model_dump_json(exclude={"id"}),
                    self.settings.event_log_maxlen,
                    self.settings.retention_seconds,
                    event.ts.isoformat(),
                    error,
                ],
            )
            if result[0] == "expired":
                failed.append(job_id)
        return failed

    async def run_forever(self, interval: float) -> None:
        """Reap every ``interval`` seconds until cancelled; Redis outages only delay it."""
        while True:
            try:
                await self.reap_once()
            except (RedisError, OSError):
                log.warning("reaper: Redis unreachable; will retry")
            await asyncio.sleep(interval)
