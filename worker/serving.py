"""What a worker serves: its registry, checked before it consumes anything, and its queues."""

from __future__ import annotations

import traceback

from kombu.entity import Exchange, Queue

from agentjobs import keys
from agentjobs.workflows import Workflows, load_registry


class RegistryUnusable(Exception):
    """``AGENTJOBS_WORKFLOWS`` cannot be imported, is not a registry, or registers nothing."""


def served_registry(spec: str) -> Workflows:
    """Import the registry ``spec`` names; raises ``RegistryUnusable`` with the whole error.

    The message carries the traceback of the import: the mistake is usually inside the
    workflows' own module (a missing package, a syntax error), not in the name.
    """
    try:
        registry = load_registry(spec)
    except Exception as exc:  # any import-time error of the user's module is the message
        trace = "".join(traceback.format_exception(exc))
        raise RegistryUnusable(f"cannot load AGENTJOBS_WORKFLOWS={spec!r}:\n{trace}") from exc
    if not len(registry):
        raise RegistryUnusable(f"AGENTJOBS_WORKFLOWS={spec!r} registers no workflow")
    return registry


def queues_of(registry: Workflows, webhooks: str = "also") -> list[Queue]:
    """The Celery queues a worker of ``registry`` consumes: one per workflow, and the default.

    Declared like Celery declares a queue named on the command line (direct exchange of the
    same name), so a task the API sends with ``queue=`` lands on it. The default queue stays
    for tasks sent without a route; a run task found there is forwarded (``worker.tasks``).
    ``webhooks`` (``AGENTJOBS_WEBHOOK_DELIVERIES``): ``also`` adds the webhook queue, ``only``
    consumes nothing else, ``off`` leaves it out.
    """
    names = [
        keys.CELERY_QUEUE,
        *(keys.workflow_queue(wf.name) for wf in registry),
        *(keys.workflow_queue(wf.name, wf.version) for wf in registry),
    ]
    if webhooks == "only":
        names = []
    if webhooks != "off":
        names.append(keys.WEBHOOK_QUEUE)
    return [
        Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]
        for name in names
    ]
