"""The API's Prometheus metrics: what each API process observes, plus scrape-time Redis facts.

Per process (prometheus_client; added up across gunicorn workers in multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set): jobs started, input waits, events relayed, open sockets.
Read from Redis at each scrape (the same on every API process): the Celery queue length and the
job metrics workers keep in Redis (``agentjobs.job_metrics``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis.asyncio import Redis

from agentjobs import job_metrics, keys
from agentjobs.protocol import utcnow
from backend.settings import ApiSettings

JOBS_STARTED = Counter(
    "agentjobs_jobs_started", "Jobs accepted by POST /jobs, by workflow", ["workflow"]
)
INPUT_WAIT = Histogram(
    "agentjobs_input_wait_seconds",
    "Time from a question to the human's accepted answer, by workflow",
    ["workflow"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)
EVENTS_RELAYED = Counter(
    "agentjobs_events_relayed", "Job events sent to WebSocket clients (replayed or live)"
)
WEBSOCKETS_OPEN = Gauge(
    "agentjobs_websockets_open", "Job WebSockets open right now", multiprocess_mode="livesum"
)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def job_started(workflow: str) -> None:
    """Count a job accepted by ``POST /jobs``."""
    JOBS_STARTED.labels(workflow=workflow).inc()


def input_answered(workflow: str, asked_at: datetime) -> None:
    """Observe how long a question waited for its accepted answer."""
    INPUT_WAIT.labels(workflow=workflow).observe(max((utcnow() - asked_at).total_seconds(), 0.0))


class _Snapshot(Collector):
    """Metric families read from Redis just before rendering."""

    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self.metrics


async def _redis_facts(redis: Redis, broker: Redis) -> list[Metric]:
    queued = GaugeMetricFamily(
        "agentjobs_queue_length", "Run tasks waiting in the Celery queue for a worker"
    )
    queued.add_metric([], float(await broker.llen(keys.CELERY_QUEUE)))
    raw = cast(dict[str, str], await redis.hgetall(keys.METRICS))
    return [queued, *job_metrics.families(raw)]


async def render(settings: ApiSettings, redis: Redis, broker: Redis) -> bytes:
    """The Prometheus text exposition of this API process (or all of them, in multiprocess mode)."""
    if settings.prometheus_multiproc_dir:
        process: CollectorRegistry = CollectorRegistry()
        MultiProcessCollector(process, path=settings.prometheus_multiproc_dir)  # type: ignore[no-untyped-call]
    else:
        process = REGISTRY
    facts = CollectorRegistry()
    facts.register(_Snapshot(await _redis_facts(redis, broker)))
    return generate_latest(process) + generate_latest(facts)
