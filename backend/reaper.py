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
from typing import Any, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from agentjobs import keys, lua
from agentjobs.job_metrics import end_increments
from agentjobs.protocol import FailureReason, JobStatus, WorkflowFailed
from agentjobs.records import field_pairs, record_from_hash
from backend.settings import ApiSettings
from backend.store import Requeue, hand_back

log = logging.getLogger(__name__)

WORKER_LOST = "the worker running this job stopped (its lease expired without a final event)"
INPUT_EXPIRED = "nobody answered the pending question in time (the job was suspended)"


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
        failed = []
        for job_id in await self._due(keys.INPUT_DEADLINES, now_ms):
            result = await self._fail(
                self._expire_input, job_id, [keys.INPUT_DEADLINES], INPUT_EXPIRED, "input_timeout"
            )
            if result[0] == "expired":
                failed.append(job_id)
        for job_id in await self._due(keys.LEASES, now_ms):
            result = await self._fail(
                self._reap,
                job_id,
                [keys.lease(job_id), keys.LEASES],
                WORKER_LOST,
                "worker_lost",
                self.settings.max_resume_attempts,
                int(self.settings.requeue_check_seconds * 1000),
            )
            if result[0] == "requeue":
                log.warning("job %s: no worker holds it; handing it back to the queue", job_id)
                await hand_back(self._requeue, job_id, str(result[1]), "from the reaper")
            elif result[0] == "reaped":
                log.warning("job %s failed: worker lost", job_id)
                failed.append(job_id)
        return failed

    async def _due(self, index: str, now_ms: int) -> list[str]:
        return cast(list[str], await self.redis.zrangebyscore(index, "-inf", now_ms))

    async def _fail(
        self,
        script: AsyncScript,
        job_id: str,
        more_keys: list[str],
        error: str,
        reason: FailureReason,
        *more_args: int,
    ) -> list[Any]:
        """Run a failing script for one job; the scripts share this key and argument layout."""
        event = WorkflowFailed(job_id=job_id, error=error, reason=reason)
        raw = cast(dict[str, str], await self.redis.hgetall(keys.job(job_id)))
        counted = end_increments(record_from_hash(raw) if raw else None, JobStatus.FAILED, event.ts)
        result: list[Any] = await script(
            keys=[
                keys.job(job_id),
                keys.events(job_id),
                keys.live(job_id),
                *more_keys,
                keys.METRICS,
            ],
            args=[
                job_id,
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                self.settings.retention_seconds,
                event.ts.isoformat(),
                error,
                *more_args,
                *field_pairs(counted),
            ],
        )
        return result

    async def run_forever(self, interval: float) -> None:
        """Reap every ``interval`` seconds until cancelled; Redis outages only delay it."""
        while True:
            try:
                await self.reap_once()
            except (RedisError, OSError):
                log.warning("reaper: Redis unreachable; will retry")
            await asyncio.sleep(interval)
