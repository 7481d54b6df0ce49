"""Which workers deliver webhooks: every one by default, none with off, only it with only."""

from __future__ import annotations

from agentjobs import keys
from tests.support.workflows import registry
from worker.serving import queues_of


def names(webhooks: str) -> list[str]:
    return [queue.name for queue in queues_of(registry, webhooks)]


def test_a_default_worker_consumes_the_webhook_queue_too() -> None:
    assert keys.WEBHOOK_QUEUE in names("also")
    assert keys.CELERY_QUEUE in names("also")


def test_a_worker_may_leave_webhooks_to_others() -> None:
    assert keys.WEBHOOK_QUEUE not in names("off")


def test_a_dedicated_webhook_worker_consumes_nothing_else() -> None:
    assert names("only") == [keys.WEBHOOK_QUEUE]
