"""The webhook pump: a thread in each worker that delivers webhooks, sending the due ones'
tasks to the webhook queue.

Deliveries are recorded by the job's writes with a due time (now, or the next retry); the pump
claims what is due every ``PUMP_INTERVAL_SECONDS`` (a claim holds it for ``CLAIM_LEASE`` so that
several workers' pumps never send the same one twice meanwhile) and sends one task each. A
task lost with its worker is sent again when the claim lapses. Retries wait here, in Redis, not
as Celery countdowns: a countdown task sits in kombu's ``unacked`` hash and the Redis transport
would deliver it again after every visibility timeout.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from celery.exceptions import CeleryError
from celery.signals import worker_ready, worker_shutdown
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from agentjobs import keys
from agentjobs.connection import connect
from agentjobs.scripts.webhooks import claim_due
from worker.settings import WorkerSettings, get_worker_settings

log = logging.getLogger(__name__)

PUMP_INTERVAL_SECONDS = 0.25
"""How often the pump looks for due deliveries (one small script call)."""
CLAIM_BATCH = 100
"""The most deliveries one look claims."""
PUMP_MAX_CONNECTIONS = 2


def claim_lease_ms(settings: WorkerSettings) -> int:
    """How long a claimed delivery's task has to settle it before it is sent again: well past
    one attempt's timeout, so a slow attempt is not doubled."""
    return int(max(30.0, 3 * settings.webhook_timeout_seconds) * 1000)


class WebhookPump:
    """The pump thread of this worker process."""

    def __init__(self, settings: WorkerSettings, send: Any) -> None:
        self.settings = settings
        self._send = send
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run()), name="agentjobs-webhooks", daemon=True
        )

    def start(self) -> None:
        """Start pumping."""
        self._thread.start()

    def stop(self) -> None:
        """Stop pumping (claimed deliveries not sent yet are sent again after their lease)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    async def _run(self) -> None:
        redis = connect(
            self.settings.model_copy(update={"redis_max_connections": PUMP_MAX_CONNECTIONS})
        )
        lease = claim_lease_ms(self.settings)
        try:
            while not self._stop.is_set():
                try:
                    for job_id, webhook_id in await claim_due(
                        redis, limit=CLAIM_BATCH, lease_ms=lease
                    ):
                        self._send(job_id, webhook_id)
                except (RedisError, OSError, CeleryError, KombuError):
                    log.warning("webhook pump: cannot claim or send; will retry", exc_info=True)
                    await asyncio.sleep(1)
                await asyncio.sleep(PUMP_INTERVAL_SECONDS)
        finally:
            await redis.aclose()


_pump: list[WebhookPump] = []


@worker_ready.connect  # type: ignore[untyped-decorator]
def start_pump(sender: Any = None, **_: Any) -> None:
    """Start the pump in a worker that delivers webhooks (``AGENTJOBS_WEBHOOK_DELIVERIES``)."""
    settings = get_worker_settings()
    if settings.webhook_deliveries == "off" or sender is None:
        return
    if settings.webhook_secret is None:
        # Nothing to pump: without the secret no delivery can be signed, and the API records
        # none (a webhook URL, the deployment's or a job's, needs it). Saves 4 reads a second.
        log.info("webhooks: no AGENTJOBS_WEBHOOK_SECRET, so this worker delivers none")
        return
    app = sender.app

    def send(job_id: str, webhook_id: str) -> None:
        app.send_task(
            keys.DELIVER_WEBHOOK_TASK, args=[job_id, webhook_id], queue=keys.WEBHOOK_QUEUE
        )

    pump = WebhookPump(settings, send)
    _pump.append(pump)
    pump.start()


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def stop_pump(**_: Any) -> None:
    """Stop the pump with the worker."""
    while _pump:
        _pump.pop().stop()
