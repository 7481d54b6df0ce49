"""The API's Prometheus metrics: what each API process observes, plus scrape-time Redis facts.

Per process (prometheus_client; added up across gunicorn workers in multiprocess mode when
``PROMETHEUS_MULTIPROC_DIR`` is set): jobs started, input waits, events relayed, open sockets.
Read from Redis at each scrape (the same on every API process): the run tasks not started yet
(queued or reserved by a worker) and the job metrics workers keep (``agentjobs.job_metrics``).
"""

from __future__ import annotations

import json
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
from agentjobs.celery_config import queue_lists
from agentjobs.protocol import utcnow
from agentjobs.usage_metrics import usage_families
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


async def queue_length(broker: Redis, redis: Redis) -> int:
    """Run tasks no worker has started: on a Celery queue, or fetched by a worker (prefetched).

    The queues are the default one, and one per workflow ever published and per version of it
    (``redis`` is the job store, which keeps the catalog; ``broker`` the Celery broker).
    kombu's Redis transport keeps each delivered, unacked message in its ``unacked`` hash as
    ``[message, exchange, routing_key]``; with early acks that is exactly the tasks reserved
    for busy slots (and a dead worker's, until they are restored to the queue).
    """
    workflows = cast(list[str], await redis.hkeys(keys.WORKFLOWS))
    async with redis.pipeline(transaction=False) as pipe:
        for name in workflows:
            pipe.hkeys(keys.workflow_versions(name))
        versions: list[list[str]] = await pipe.execute()
    queues = [keys.CELERY_QUEUE]
    for name, published in zip(workflows, versions, strict=True):
        queues += [keys.workflow_queue(name), *(keys.workflow_queue(name, v) for v in published)]
    async with broker.pipeline(transaction=False) as pipe:
        for queue in queues:
            for listed in queue_lists(queue):  # one Redis list per priority
                pipe.llen(listed)
        pipe.hvals(keys.CELERY_UNACKED)
        *waiting, unacked = await pipe.execute()
    reserved = 0
    for raw in unacked:
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError, TypeError):
            continue  # not a kombu entry: not ours to count
        reserved += _is_ours(routing_key)
    return sum(int(length) for length in waiting) + reserved


def _is_ours(routing_key: object) -> bool:
    """Whether a kombu routing key is one of agentjobs' queues (by name: the queue's own)."""
    return isinstance(routing_key, str) and (
        routing_key == keys.CELERY_QUEUE or routing_key.startswith(keys.WORKFLOW_QUEUE_PREFIX)
    )


async def _redis_facts(redis: Redis, broker: Redis) -> list[Metric]:
    queued = GaugeMetricFamily(
        "agentjobs_queue_length",
        "Run tasks no worker has started: waiting in the Celery queue or reserved by a worker",
    )
    queued.add_metric([], float(await queue_length(broker, redis)))
    raw = cast(dict[str, str], await redis.hgetall(keys.METRICS))
    return [queued, *job_metrics.families(raw), *usage_families(raw)]


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
