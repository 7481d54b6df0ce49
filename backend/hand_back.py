"""Handing a job no worker holds back to the task queue: after an answer, a lost worker, a lost
send. The API's answer path and the reaper share it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Protocol, cast

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import Progress
from agentjobs.scripts.waiting import mark_waiting
from backend import catalog
from backend.queue import ENQUEUE_ERRORS

log = logging.getLogger(__name__)


class Requeue(Protocol):
    """Puts a job (id, workflow) on the task queue (its ``version``'s queue, for a job pinned
    to one); ``resumed`` ones ahead of new ones."""

    def __call__(
        self, job_id: str, workflow: str, resumed: bool = False, version: str | None = None
    ) -> Awaitable[None]: ...


async def pinned_version(redis: Redis, job_id: str) -> str | None:
    """The version the job is pinned to (it never changes once set), or None."""
    return cast(str | None, await redis.hget(keys.job(job_id), "workflow_version"))


async def hand_back(
    redis: Redis,
    requeue: Requeue | None,
    job_id: str,
    workflow: str,
    when: str,
    *,
    seen_within: float,
    maxlen: int,
) -> bool:
    """Put a job no worker holds back on the queue of the version it is pinned to; while no
    live worker serves that version, the job says so (``waiting_for_worker`` and a progress
    event, ``scripts.waiting``). A refusal is only logged: the job waits in the leases index
    (``AGENTJOBS_REQUEUE_CHECK_SECONDS``), so the reaper hands it back again. False when the
    broker refused the task."""
    if requeue is None:
        return True
    version = await pinned_version(redis, job_id)
    sent = True
    try:
        await requeue(job_id, workflow, resumed=True, version=version)
    except ENQUEUE_ERRORS:
        log.warning("job %s: could not requeue it %s; the reaper will try again", job_id, when)
        sent = False
    if version is None:
        return sent
    info = await catalog.read_workflow(redis, workflow, seen_within)
    if info is None or not catalog.version_served(info, version):
        content = catalog.waiting_message(workflow, version)
        event = Progress(job_id=job_id, content=content)
        await mark_waiting(redis, job_id=job_id, event=event, maxlen=maxlen)
    return sent
