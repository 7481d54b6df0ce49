"""``GET /health``: can jobs be taken (Redis reachable and writable, a catalog published)."""

from __future__ import annotations

import asyncio
import logging
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from redis.exceptions import OutOfMemoryError, RedisError

from agentjobs import keys
from backend.deps import ServicesDep

HEALTH_TIMEOUT = 2.0
"""Seconds ``/health`` waits for Redis before answering 503."""
UNREACHABLE = "redis unreachable"
FULL = "redis full"
NO_CATALOG = "no workflows published"

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def _version() -> str:
    try:
        return version("agentjobs")
    except PackageNotFoundError:
        return "unknown"


async def _catalog_size(redis: Redis) -> int:
    """How many workflows are published; raises ``OutOfMemoryError`` when Redis takes no writes.

    ``SET ... XX`` on a key that never exists changes nothing, but Redis refuses it like any
    write when it is at ``maxmemory`` with nothing to evict: that is what ``POST /jobs`` meets.
    """
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.HEALTH_PROBE, "1", xx=True)
        pipe.hlen(keys.WORKFLOWS)
        probe, size = await pipe.execute(raise_on_error=False)
    if isinstance(probe, Exception):
        raise probe
    if isinstance(size, Exception):
        raise size
    return int(size)


def _unavailable(body: dict[str, Any], reason: str, redis_up: bool) -> JSONResponse:
    # Anyone may call /health: the reason is one of three fixed phrases, never an error text
    # (that would name the Redis host and port). The log line has the details.
    body |= {"status": "unavailable", "redis": redis_up, "reason": reason}
    return JSONResponse(body, status_code=503)


@router.get(
    "/health",
    responses={
        503: {"description": "Redis is unreachable or full, or no worker published a workflow"}
    },
)
async def health(services: ServicesDep) -> JSONResponse:
    """200 with the workers seen when jobs can be taken; 503 with a short reason when not."""
    body: dict[str, Any] = {"version": _version()}
    try:
        # Answer fast while Redis is down: the client's retries would otherwise hold this call.
        async with asyncio.timeout(HEALTH_TIMEOUT):
            published = await _catalog_size(services.redis)
            since = time.time() - services.settings.worker_seen_seconds
            workers = await services.store.workers_seen(since)
    except OutOfMemoryError as exc:
        log.warning("health: Redis refuses writes: %s", exc)
        return _unavailable(body, FULL, redis_up=True)
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("health: Redis unreachable: %r", exc)
        return _unavailable(body, UNREACHABLE, redis_up=False)
    if not published:
        log.warning("health: the workflow catalog is empty (no worker has published it)")
        return _unavailable(body, NO_CATALOG, redis_up=True)
    return JSONResponse(body | {"status": "ok", "redis": True, "workers": workers})
