"""The per-process resources behind the API routes, opened once and shared by every request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from agentjobs.connection import connect
from backend.queue import JobQueue
from backend.reaper import Reaper
from backend.relay import LiveRelay
from backend.settings import ApiSettings
from backend.store import JobStore


@dataclass(frozen=True)
class Services:
    """Settings, Redis, the job store, the live relay and the task queue of one API process."""

    settings: ApiSettings
    redis: Redis
    store: JobStore
    relay: LiveRelay
    queue: JobQueue


@asynccontextmanager
async def open_services(settings: ApiSettings) -> AsyncIterator[Services]:
    """Open every connection the API needs, and close them all on the way out."""
    redis = connect(settings)
    relay = LiveRelay(redis, settings.socket_queue_size, settings.socket_queue_bytes)
    queue = JobQueue(settings)
    await relay.start()
    reaper = asyncio.create_task(
        Reaper(redis, settings, queue.enqueue).run_forever(settings.reaper_interval_seconds),
        name="reaper",
    )
    try:
        store = JobStore(
            redis,
            settings,
            queue.enqueue,
            settings.requeue_check_seconds,
            settings.worker_seen_seconds,
            settings.catalog_cache_seconds,
        )
        yield Services(settings, redis, store, relay, queue)
    finally:
        reaper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reaper
        await relay.stop()
        queue.close()
        await redis.aclose()
