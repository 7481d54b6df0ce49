"""Worker start and stop: a heartbeat for ``/health`` that also (re)publishes the catalog.

The catalog goes out with every heartbeat, not only at start: a Redis that restarted empty (or
was flushed) has it back within one heartbeat, with no worker restart. Each beat also records
this worker, with the time, under every workflow it serves (``keys.workflow_workers``) and
under the version it serves of each (``keys.version_workers``, beside that version's entry in
``keys.workflow_versions``): the API counts live workers per workflow and per version from
that, and a clean stop removes the worker at once.
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
from worker.serving import queues_of
from worker.settings import get_worker_settings
from worker.shutdown import begin_shutdown
from worker.slots import SLOTS, fetch_promptly

log = logging.getLogger(__name__)
_stop = threading.Event()
FORGET_WORKERS = 24 * 3600.0
"""Seconds after which a worker's entry under a workflow is removed by the others' beats."""


Catalog = dict[str, tuple[str, str]]
"""What a worker publishes: workflow name -> (the version it serves, its catalog entry JSON)."""


def catalog_entries() -> Catalog:
    """Every registered workflow's version and catalog entry (JSON), by name."""
    registry = load_registry(get_worker_settings().workflows)
    return {wf.name: (wf.version, wf.info().model_dump_json()) for wf in registry}


def beat(client: redis.Redis, name: str, catalog: Catalog, now: float | None = None) -> None:
    """One heartbeat: this worker's time and the catalog, in one round trip."""
    now = time.time() if now is None else now
    forget = now - FORGET_WORKERS
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(keys.WORKERS, name, str(now))
        for workflow, (version, entry) in catalog.items():
            pipe.hset(keys.WORKFLOWS, workflow, entry)
            pipe.hset(keys.workflow_versions(workflow), version, entry)
            for served in (
                keys.workflow_workers(workflow),
                keys.version_workers(workflow, version),
            ):
                pipe.zadd(served, {name: now})
                # Workers that died without a clean stop (a new name at every start) fall out.
                pipe.zremrangebyscore(served, "-inf", forget)
        pipe.execute()


def leave(client: redis.Redis, name: str, catalog: Catalog) -> None:
    """This worker stops: it serves nothing from now on (``/health``, ``GET /workflows``)."""
    with client.pipeline(transaction=False) as pipe:
        pipe.hdel(keys.WORKERS, name)
        for workflow, (version, _entry) in catalog.items():
            pipe.zrem(keys.workflow_workers(workflow), name)
            pipe.zrem(keys.version_workers(workflow, version), name)
        pipe.execute()


def _heartbeat(client: redis.Redis, name: str, catalog: Catalog, every: float) -> None:
    while not _stop.is_set():
        try:
            beat(client, name, catalog)
        except redis.RedisError:
            log.warning("heartbeat: Redis unreachable", exc_info=True)
        _stop.wait(every)


class _Published:
    """What this process published, so that stopping can take it back."""

    client: redis.Redis | None = None
    name = ""
    catalog: Catalog = {}
    thread: threading.Thread | None = None


def _stop_serving() -> None:
    """End the heartbeat, then remove this worker from ``/health`` and the catalog at once
    (not a live window later). Runs once; called again it does nothing."""
    _stop.set()
    SLOTS.stop()
    published, _Published.client = _Published.client, None
    if published is None:
        return
    if _Published.thread is not None:
        _Published.thread.join(timeout=5)  # no beat may land after the removal
    try:
        leave(published, _Published.name, _Published.catalog)
    except redis.RedisError:
        log.warning("could not remove this worker from the catalog; it ages out", exc_info=True)


@worker_ready.connect  # type: ignore[untyped-decorator]
def on_worker_ready(sender: Any = None, **_: Any) -> None:
    """Publish the catalog and start the heartbeat once the worker consumes tasks."""
    settings = get_worker_settings()
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    # A dedicated webhook worker serves no workflow: it must not be counted as serving one.
    catalog = {} if settings.webhook_deliveries == "only" else catalog_entries()
    name = getattr(sender, "hostname", None) or "worker"
    beat(client, name, catalog)
    log.info("published %d workflows from %s", len(catalog), settings.workflows)
    freeze_startup_objects()  # the workflows and their frameworks are imported by now
    thread = threading.Thread(
        target=_heartbeat,
        args=(client, name, catalog, settings.heartbeat_seconds),
        name="agentjobs-heartbeat",
        daemon=True,
    )
    _Published.client, _Published.name, _Published.catalog = client, name, catalog
    _Published.thread = thread
    thread.start()
    pool_size = getattr(getattr(sender, "pool", None), "num_processes", None)
    queues = [
        queue.name
        for queue in queues_of(load_registry(settings.workflows), settings.webhook_deliveries)
    ]
    SLOTS.start(client, queues, int(pool_size or settings.concurrency))
    if not settings.prefetch:
        fetch_promptly(sender)


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def on_worker_shutdown(**_: Any) -> None:
    """Stop the heartbeat so ``/health`` stops listing this worker (if not done already)."""
    _stop_serving()


@worker_shutting_down.connect  # type: ignore[untyped-decorator]
def on_worker_shutting_down(**_: Any) -> None:
    """Leave the catalog (no new job comes here), give running jobs their grace period, then
    fail what is left with ``shutdown``."""
    _stop_serving()
    begin_shutdown(get_worker_settings().shutdown_grace_seconds)
