"""Riding out a Redis outage in the middle of a run, so a store that blinks fails no job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")


OUTAGE_LIMIT_SECONDS = 300.0
"""How long a run waits out its store before a write fails the job (the pool's own retries
give up after ~10 s, which a Redis restart with a large AOF outlasts)."""
_OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError, BusyLoadingError)


async def surviving_outages(
    write: Callable[[], Awaitable[T]], job_id: str, limit: float = OUTAGE_LIMIT_SECONDS
) -> T:
    """Run ``write`` until Redis takes it, waiting out an outage of up to ``limit`` seconds.

    Safe for the job's scripts: each carries the run's token and sequence number, so a write
    Redis applied before the connection broke is recognised when it comes again.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + limit
    pause = 0.1
    while True:
        try:
            return await write()
        except _OUTAGE_ERRORS:
            if loop.time() >= give_up:
                raise
            log.warning("job %s: Redis unreachable for a write; waiting for it", job_id)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 2.0)
