"""``GET /metrics``: Prometheus metrics of the API process and of the jobs (docs/operations.md)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend import metrics
from backend.deps import ServicesDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={503: {"description": "Redis is unreachable"}},
)
async def read_metrics(services: ServicesDep) -> Response:
    """Prometheus text format: jobs started and finished, durations, waits, sockets, queue."""
    settings = services.settings
    try:
        if settings.broker_is_store:
            body = await metrics.render(settings, services.redis, services.redis)
        else:
            # A broker apart from the job store: one short connection per scrape is plenty.
            async with Redis.from_url(settings.celery_broker_url) as broker:
                body = await metrics.render(settings, services.redis, broker)
    except (RedisError, OSError) as exc:
        # /metrics is open: the error text (Redis host and port) goes to the log only.
        log.warning("metrics: Redis unreachable: %r", exc)
        return PlainTextResponse("redis unreachable\n", status_code=503)
    return Response(body, media_type=metrics.CONTENT_TYPE)
