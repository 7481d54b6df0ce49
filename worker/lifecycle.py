"""Worker start and stop: a heartbeat for ``/health`` that also (re)publishes the catalog.

The catalog goes out with every heartbeat, not only at start: a Redis that restarted empty (or
was flushed) has it back within one heartbeat, with no worker restart.
"""

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


def catalog_entries() -> dict[str, str]:
    """Every registered workflow's catalog entry (JSON), by name."""
    registry = load_registry(get_worker_settings().workflows)
    return {wf.name: wf.info().model_dump_json() for wf in registry}


def beat(client: redis.Redis, name: str, catalog: dict[str, str]) -> None:
    """One heartbeat: this worker's time and the catalog, in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(keys.WORKERS, name, str(time.time()))
        for workflow, entry in catalog.items():
            pipe.hset(keys.WORKFLOWS, workflow, entry)
        pipe.execute()


def _heartbeat(client: redis.Redis, name: str, catalog: dict[str, str], every: float) -> None:
    while not _stop.is_set():
        try:
            beat(client, name, catalog)
        except redis.RedisError:
            log.warning("heartbeat: Redis unreachable", exc_info=True)
        _stop.wait(every)
    client.hdel(keys.WORKERS, name)


@worker_ready.connect  # type: ignore[untyped-decorator]
def on_worker_ready(sender: Any = None, **_: Any) -> None:
    """Publish the catalog and start the heartbeat once the worker consumes tasks."""
    settings = get_worker_settings()
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    catalog = catalog_entries()
    name = getattr(sender, "hostname", None) or "worker"
    beat(client, name, catalog)
    log.info("published %d workflows from %s", len(catalog), settings.workflows)
    freeze_startup_objects()  # the workflows and their frameworks are imported by now
    threading.Thread(
        target=_heartbeat,
        args=(client, name, catalog, settings.heartbeat_seconds),
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
