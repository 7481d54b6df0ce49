"""Worker start and stop: publish the workflow catalog and keep a heartbeat for ``/health``."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

from agentjobs import keys
from agentjobs.gc_tuning import freeze_startup_objects
from agentjobs.workflows import load_registry
from worker import logs  # noqa: F401  (its signal handlers: the job log context)
from worker.settings import get_worker_settings
from worker.shutdown import begin_shutdown

log = logging.getLogger(__name__)
_stop = threading.Event()


def publish_catalog(client: redis.Redis) -> int:
    """Write every registered workflow's catalog entry to Redis; returns how many."""
    registry = load_registry(get_worker_settings().workflows)
    entries = {wf.name: wf.info().model_dump_json() for wf in registry}
    with client.pipeline() as pipe:
        for name, entry in entries.items():
            pipe.hset(keys.WORKFLOWS, name, entry)
        pipe.execute()
    return len(entries)


def _heartbeat(client: redis.Redis, name: str, every: float) -> None:
    while not _stop.is_set():
        try:
            client.hset(keys.WORKERS, name, time.time())
        except redis.RedisError:
            log.warning("heartbeat: Redis unreachable", exc_info=True)
        _stop.wait(every)
    client.hdel(keys.WORKERS, name)


@worker_ready.connect  # type: ignore[untyped-decorator]
def on_worker_ready(sender: Any = None, **_: Any) -> None:
    """Publish the catalog and start the heartbeat once the worker consumes tasks."""
    settings = get_worker_settings()
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    count = publish_catalog(client)
    name = getattr(sender, "hostname", None) or "worker"
    log.info("published %d workflows from %s", count, settings.workflows)
    freeze_startup_objects()  # the workflows and their frameworks are imported by now
    threading.Thread(
        target=_heartbeat,
        args=(client, name, settings.heartbeat_seconds),
        name="agentjobs-heartbeat",
        daemon=True,
    ).start()


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def on_worker_shutdown(**_: Any) -> None:
    """Stop the heartbeat so ``/health`` stops listing this worker."""
    _stop.set()


@worker_shutting_down.connect  # type: ignore[untyped-decorator]
def on_worker_shutting_down(**_: Any) -> None:
    """Give running jobs their grace period, then fail what is left with ``shutdown``."""
    begin_shutdown(get_worker_settings().shutdown_grace_seconds)
