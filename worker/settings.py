"""Settings of a worker process, read once from ``AGENTJOBS_*`` (and ``OPENAI_*``) variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from agentjobs.settings import ModelSettings
from agentjobs.webhook_settings import WebhookSettings


class WorkerSettings(WebhookSettings, ModelSettings):
    """A worker process (its Redis, its jobs, and the model its workflows use)."""

    workflows: str = "agentjobs.examples.registry:registry"
    """Where the workflows are: ``package.module:registry``."""
    concurrency: int = Field(default=32, ge=1)
    """How many jobs one worker process runs at once (threads)."""
    input_timeout_seconds: float = Field(default=3600.0, gt=0)
    """How long a job waits for a human answer before failing with ``input_timeout``."""
    run_time_limit_seconds: float | None = Field(default=None, gt=0)
    """How long one run may take in all before failing with ``timeout`` (None: no limit)."""
    lease_seconds: float = Field(default=15.0, gt=0)
    """How long a running job's lease lives without renewal (renewed every third of it); a
    killed worker's jobs fail with ``worker_lost`` within this plus the API's reaper interval."""
    suspend_after_seconds: float | None = Field(default=30.0, ge=0)
    """How long a job waiting for a human keeps its worker slot before it is suspended (no
    slot, no thread; the answer requeues it and replay resumes it). It suspends at once when
    no slot is free and another job waits on the worker's queues. None: never suspend."""
    prefetch: bool = False
    """Reserve a task for each busy slot (Celery's prefetch). Off: a task stays on the queue
    until a worker has a free slot for it, so it never waits behind busy slots."""
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    """On SIGTERM, how long running jobs get to finish before failing with ``shutdown``."""
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    """How often a worker records that it is alive (``GET /health`` lists it)."""
    webhook_deliveries: Literal["also", "off", "only"] = "also"
    """Whether this worker delivers webhooks (consumes ``agentjobs.webhooks`` and runs the
    pump): ``also`` beside its workflows, ``off`` not at all, ``only`` nothing else (a
    dedicated webhook worker: it serves no workflow)."""


@lru_cache
def get_worker_settings() -> WorkerSettings:
    """The worker settings, read once per process."""
    return WorkerSettings()
