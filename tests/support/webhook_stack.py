"""A private stack (Redis, API, worker) whose webhooks go to a local receiver."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from agentjobs.cli.redis_server import free_port
from tests.support.stack import api_server, celery_worker, redis_server, wait_until
from tests.support.webhook_receiver import Received, WebhookReceiver

SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()
SECRETS_KEY = Fernet.generate_key().decode()


@dataclass(frozen=True)
class WebhookStack:
    """The API's URL, the receiver and the stack's secrets."""

    api: str
    receiver: WebhookReceiver
    redis_url: str
    secret: str = SECRET
    secrets_key: str = SECRETS_KEY

    def client(self) -> httpx.Client:
        """An HTTP client for the API."""
        return httpx.Client(base_url=self.api, timeout=10)

    def deliveries(self, job_id: str) -> list[dict[str, object]]:
        """``GET /jobs/{id}/webhooks``'s deliveries."""
        with self.client() as client:
            answer = client.get(f"/jobs/{job_id}/webhooks")
        assert answer.status_code == 200, answer.text
        return list(answer.json()["deliveries"])

    def wait_deliveries(
        self,
        job_id: str,
        condition: Callable[[list[dict[str, object]]], bool],
        timeout: float = 20,
    ) -> list[dict[str, object]]:
        """The job's deliveries once ``condition(deliveries)`` holds."""
        found: list[dict[str, object]] = []

        def holds() -> bool:
            found[:] = self.deliveries(job_id)
            return condition(found)

        wait_until(holds, timeout, f"job {job_id}'s deliveries")
        return found


def for_job(received: list[Received], job_id: str) -> list[Received]:
    """What the receiver got about ``job_id``."""
    return [item for item in received if f'"job_id":"{job_id}"' in item.body]


@contextmanager
def webhook_stack(workdir: Path, logs: Path, name: str, **env: str) -> Iterator[WebhookStack]:
    """Redis, an API and a worker that deliver to a fresh receiver (retrying fast)."""
    receiver = WebhookReceiver()
    receiver.start()
    api_port = free_port()
    settings = {
        "AGENTJOBS_WEBHOOK_URL": receiver.url(),
        "AGENTJOBS_WEBHOOK_SECRET": SECRET,
        "AGENTJOBS_WEBHOOK_ALLOW_PRIVATE": "true",
        "AGENTJOBS_WEBHOOK_BACKOFF_SECONDS": "0.2",
        "AGENTJOBS_WEBHOOK_BACKOFF_MAX_SECONDS": "1",
        "AGENTJOBS_WEBHOOK_TIMEOUT_SECONDS": "2",
        "AGENTJOBS_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "AGENTJOBS_SECRETS_KEY": SECRETS_KEY,
        **env,
    }
    try:
        with (
            redis_server(workdir) as redis,
            api_server(redis.url, logs / f"api-{name}.log", port=api_port, **settings) as api,
            celery_worker(redis.url, logs / f"worker-{name}.log", concurrency=4, **settings),
        ):
            yield WebhookStack(api, receiver, redis.url)
    finally:
        receiver.stop()
