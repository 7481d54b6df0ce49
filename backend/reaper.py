"""The reaper: fails jobs whose worker stopped renewing its lease (``reason: worker_lost``).

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
from backend.settings import RedisSettings

log = logging.getLogger(__name__)

WORKER_LOST = "the worker running this job stopped (its lease expired without a final event)"


class Reaper:
    """Finds expired leases and fails their jobs."""

    def __init__(self, redis: Redis, settings: RedisSettings) -> None:
        self.redis = redis
        self.settings = settings
        self._reap = redis.register_script(lua.REAP)

    async def reap_once(self) -> list[str]:
        """Fail every job whose lease deadline has passed; returns the ids of the jobs failed."""
        seconds, micros = await self.redis.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        expired = cast(list[str], await self.redis.zrangebyscore(keys.LEASES, "-inf", now_ms))
        reaped = []
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
                ],
            )
            if result[0] == "reaped":
                log.warning("job %s failed: worker lost", job_id)
                reaped.append(job_id)
        return reaped

    async def run_forever(self, interval: float) -> None:
        """Reap every ``interval`` seconds until cancelled; Redis outages only delay it."""
        while True:
            try:
                await self.reap_once()
            except (RedisError, OSError):
                log.warning("reaper: Redis unreachable; will retry")
            await asyncio.sleep(interval)
