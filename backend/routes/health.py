"""``GET /health``: is Redis reachable, which workers are alive."""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from backend.deps import ServicesDep

HEALTH_TIMEOUT = 2.0
"""Seconds ``/health`` waits for Redis before answering 503."""

router = APIRouter(tags=["health"])


def _version() -> str:
    try:
        return version("agentjobs")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health", responses={503: {"description": "Redis is unreachable"}})
async def health(services: ServicesDep) -> JSONResponse:
    """200 with the workers seen when Redis answers; 503 when it does not."""
    body: dict[str, Any] = {"version": _version()}
    try:
        # Answer fast while Redis is down: the client's retries would otherwise hold this call.
        await asyncio.wait_for(services.redis.ping(), HEALTH_TIMEOUT)
        since = time.time() - services.settings.worker_seen_seconds
        body |= {"status": "ok", "redis": True, "workers": await services.store.workers_seen(since)}
    except (RedisError, OSError, TimeoutError) as exc:
        body |= {"status": "unavailable", "redis": False, "detail": f"Redis unreachable: {exc}"}
        return JSONResponse(body, status_code=503)
    return JSONResponse(body)
