"""Who may see a job: its owner, and the users a request of it was addressed to (assignees).

Anyone else gets a 404, never a 403, so job ids of others cannot be probed. An assignee may
read the job (record, events, socket) and answer the requests addressed to them; cancelling,
deleting and answering other requests stay the owner's (``backend.deps.load_job``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import InputRequest, JobRecord

if TYPE_CHECKING:  # services open the reaper, which answers through this package
    from backend.services import Services


async def is_assignee(redis: Redis, job_id: str, user: str) -> bool:
    """True when a request of the job was ever addressed to ``user`` (the emit script marks
    them in the record, see ``agentjobs.scripts.inbox``)."""
    return bool(await redis.hexists(keys.job(job_id), f"assignee:{user}"))


async def may_see(services: Services, record: JobRecord | None, user: str) -> bool:
    """True when ``user`` may read the job ``record`` (None: no such job)."""
    if record is None:
        return False
    return record.user == user or await is_assignee(services.redis, record.job_id, user)


async def load_visible_job(services: Services, user: str, job_id: str) -> JobRecord:
    """The job if the caller owns it or is one of its assignees; else 404."""
    record = await services.store.get(job_id)
    if record is None or not await may_see(services, record, user):
        raise HTTPException(status_code=404, detail=f"job {job_id!r} not found")
    return record


def may_answer(record: JobRecord, request: InputRequest, user: str) -> bool:
    """The owner answers any request of the job; an assignee only those addressed to them."""
    return user == record.user or user in request.assignee
