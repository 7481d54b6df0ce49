"""The Celery app of the worker: JSON only, early acks, task events on, a threads pool."""

from __future__ import annotations

import logging

from celery import Celery

from agentjobs.celery_config import celery_config
from agentjobs.tracing import configure_tracing
from worker.settings import get_worker_settings

settings = get_worker_settings()
# Before any task runs: the Celery and openai instrumentations hook in (only with an endpoint).
configure_tracing("agentjobs-worker", settings, model_calls=True)

app = Celery(
    "agentjobs",
    include=["worker.tasks", "worker.lifecycle", "worker.webhook_task", "worker.webhook_pump"],
)
app.conf.update(celery_config(settings))
# Workflows are I/O bound (models, humans): threads, well above the core count.
app.conf.update(worker_pool="threads", worker_concurrency=settings.concurrency)
# Without prefetch a worker takes a task only for a free slot: none waits behind busy slots
# while another worker is free (worker.slots frees a slot held by a wait when one is needed).
app.conf.update(worker_disable_prefetch=not settings.prefetch)

# AutoGen logs every runtime message as large JSON at INFO.
for noisy in ("autogen_core", "autogen_agentchat", "autogen_core.events"):
    logging.getLogger(noisy).setLevel(logging.WARNING)
