"""The job store: reads and the client-side changes of jobs in Redis (create, answer, cancel).

Every change runs one Lua script from ``agentjobs.lua``; worker-side changes live in
``worker.job_writer`` and use the same scripts module.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from agentjobs import keys, lua
from agentjobs.job_metrics import end_increments
from agentjobs.journal import answer_entry
from agentjobs.protocol import (
    TERMINAL_TYPES,
    AnswerValue,
    InputReceived,
    JobQueued,
    JobRecord,
    JobStatus,
    WorkflowCancelled,
    WorkflowInfo,
    cursor_key,
    event_json,
    just_before,
    utcnow,
)
from agentjobs.records import field_pairs, record_from_hash
from agentjobs.settings import RedisSettings
from backend.queue import ENQUEUE_ERRORS

log = logging.getLogger(__name__)

SECRET_MASK = "********"
"""What watchers see in ``input_received`` for an answer to a password input."""
Requeue = Callable[[str, str], Awaitable[None]]
"""Puts a job (id, workflow) back on the task queue."""


async def hand_back(requeue: Requeue | None, job_id: str, workflow: str, when: str) -> None:
    """Put a job no worker holds back on the queue. A refusal is only logged: the job waits in
    the leases index (``AGENTJOBS_REQUEUE_CHECK_SECONDS``), so the reaper hands it back again."""
    if requeue is None:
        return
    try:
        await requeue(job_id, workflow)
    except ENQUEUE_ERRORS:
        log.warning("job %s: could not requeue it %s; the reaper will try again", job_id, when)


class AnswerOutcome(StrEnum):
    """What happened to an answer."""

    ACCEPTED = "accepted"
    NOT_PENDING = "not_pending"
    MISSING = "missing"


class CancelOutcome(StrEnum):
    """What happened to a cancel request."""

    CANCELLED = "cancelled"
    ALREADY_FINISHED = "already_finished"
    MISSING = "missing"


class TooManyActiveJobs(Exception):
    """The user already has as many active jobs as allowed."""

    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"{active} active jobs, the limit is {limit}")
        self.active = active
        self.limit = limit


class CursorTooOld(Exception):
    """Events right after the cursor were trimmed from the log: reading on would skip them."""

    def __init__(self, cursor: str, resume_after: str) -> None:
        super().__init__(f"cursor {cursor} is older than the oldest event kept")
        self.cursor = cursor
        self.resume_after = resume_after
        """The oldest cursor that still reads on without a gap (what is left of the log)."""


@dataclass(frozen=True)
class StoredEvent:
    """One event as read from the log or the live channel: cursor, type, JSON text (id included)."""

    id: str
    type: str
    json: str

    @property
    def is_terminal(self) -> bool:
        """True for the event that ends the job."""
        return self.type in TERMINAL_TYPES

    @classmethod
    def from_live(cls, message: str) -> StoredEvent:
        """Parse a live-channel message: ``'<type> {"id":"<cursor>",...}'``."""
        etype, _, full = message.partition(" ")
        return cls(id=full[7 : full.index('"', 7)], type=etype, json=full)


class JobStore:
    """Client-side access to jobs: what the API needs, and nothing that runs workflows."""

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        requeue: Requeue | None = None,
        requeue_check_seconds: float = 60.0,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self._requeue = requeue
        self._requeue_check_ms = int(requeue_check_seconds * 1000)
        self._create = redis.register_script(lua.CREATE)
        self._answer = redis.register_script(lua.ANSWER)
        self._cancel = redis.register_script(lua.CANCEL)

    async def create(
        self,
        job_id: str,
        workflow: str,
        params: dict[str, Any],
        user: str,
        *,
        max_active: int = 0,
    ) -> str:
        """Write the record and the ``job_queued`` event; returns the event's cursor.

        Raises ``TooManyActiveJobs`` when ``user`` already has ``max_active`` (> 0) active jobs;
        the count and the write are one atomic step.
        """
        now = utcnow()
        event = JobQueued(job_id=job_id, workflow=workflow, params=params, ts=now)
        fields = {
            "job_id": job_id,
            "workflow": workflow,
            "params": json.dumps(params),
            "user": user,
            "status": JobStatus.QUEUED.value,
            "created_at": now.isoformat(),
            "attempt": "0",
        }
        result = await self._create(
            keys=[
                keys.job(job_id),
                keys.events(job_id),
                keys.live(job_id),
                keys.user_jobs(user),
                keys.user_active(user),
            ],
            args=[
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                now.timestamp(),
                job_id,
                *field_pairs(fields),
                max_active,
                *keys.job_key_affixes(),
                self.settings.retention_seconds,
            ],
        )
        if result[0] == "too_many":
            raise TooManyActiveJobs(int(result[1]), max_active)
        if result[0] != "ok":
            raise RuntimeError(f"job {job_id} already exists")
        return str(result[1])

    async def get(self, job_id: str) -> JobRecord | None:
        """The job's record, or None when there is no such job."""
        raw = cast(dict[str, str], await self.redis.hgetall(keys.job(job_id)))
        return record_from_hash(raw) if raw else None

    async def list_for_user(
        self, user: str, offset: int, limit: int
    ) -> tuple[list[JobRecord], int]:
        """A page of the user's jobs, newest first, and how many there are."""
        index = keys.user_jobs(user)
        ids = cast(list[str], await self.redis.zrevrange(index, offset, offset + limit - 1))
        total: int = await self.redis.zcard(index)
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hgetall(keys.job(job_id))
            raws: list[dict[str, str]] = await pipe.execute()
        expired = [job_id for job_id, raw in zip(ids, raws, strict=True) if not raw]
        if expired:  # retention removed the record: drop it from the index too
            await self.redis.zrem(index, *expired)
        return [record_from_hash(raw) for raw in raws if raw], total - len(expired)

    async def read_events(self, job_id: str, after: str, limit: int | None) -> list[StoredEvent]:
        """Events strictly after the cursor ``after`` (``"0"`` for all), oldest first.

        Raises ``CursorTooOld`` when the log was trimmed past ``after``: the client would
        otherwise miss events without knowing.
        """
        start = "-" if after in ("", "0") else f"({after}"
        # One transaction: the trim point read is the one that applies to these entries.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xrange(keys.events(job_id), min=start, count=limit)
            pipe.xinfo_stream(keys.events(job_id))
            entries, info = await pipe.execute(raise_on_error=False)
        if isinstance(entries, Exception):
            raise entries
        if not isinstance(info, ResponseError):  # an error here: no log at all, nothing trimmed
            _check_cursor(after or "0", cast(dict[str, Any], info))
        return stored_events(cast(list[tuple[str, dict[str, str]]], entries))

    async def answer(
        self, job_id: str, request_id: str, value: AnswerValue, *, secret: bool = False
    ) -> AnswerOutcome:
        """Deliver an answer to the pending request ``request_id``, atomically.

        A ``secret`` answer (to a password input) reaches the worker but is masked in the log.
        """
        shown = SECRET_MASK if secret else value
        event = InputReceived(job_id=job_id, request_id=request_id, value=shown)
        result = await self._answer(
            keys=[
                keys.job(job_id),
                keys.events(job_id),
                keys.live(job_id),
                keys.reply(job_id, request_id),
                keys.journal(job_id),
                keys.INPUT_DEADLINES,
                keys.LEASES,
            ],
            args=[
                request_id,
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                json.dumps(value),
                self.settings.retention_seconds,
                answer_entry(request_id, value),
                job_id,
                self._requeue_check_ms,
            ],
        )
        if result[0] == "ok":
            if result[2] == "requeue":
                # The job was suspended (no worker holds it): a worker replays it from here.
                # A refused requeue is not the person's concern: the answer is journaled.
                await hand_back(self._requeue, job_id, str(result[3]), "after its answer")
            return AnswerOutcome.ACCEPTED
        return AnswerOutcome.MISSING if result[0] == "missing" else AnswerOutcome.NOT_PENDING

    async def cancel(
        self, job_id: str, by: str = "user", record: JobRecord | None = None
    ) -> CancelOutcome:
        """Cancel a queued or running job: terminal at once; its worker is told to stop.

        ``record``: the job as the caller just read it, if it did (for the job's metrics).
        """
        event = WorkflowCancelled(job_id=job_id, by=by)
        known = record or await self.get(job_id)
        counted = end_increments(known, JobStatus.CANCELLED, event.ts)
        result = await self._cancel(
            keys=[
                keys.job(job_id),
                keys.events(job_id),
                keys.live(job_id),
                keys.control(job_id),
                keys.lease(job_id),
                keys.LEASES,
                keys.METRICS,
            ],
            args=[
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                event.ts.isoformat(),
                self.settings.retention_seconds,
                job_id,
                *field_pairs(counted),
            ],
        )
        if result[0] == "ok":
            return CancelOutcome.CANCELLED
        return CancelOutcome.MISSING if result[0] == "missing" else CancelOutcome.ALREADY_FINISHED

    async def catalog(self) -> list[WorkflowInfo]:
        """The workflows published by workers, sorted by name."""
        raw = cast(dict[str, str], await self.redis.hgetall(keys.WORKFLOWS))
        return [WorkflowInfo.model_validate_json(raw[name]) for name in sorted(raw)]

    async def workflow(self, name: str) -> WorkflowInfo | None:
        """One catalog entry, or None when no worker published ``name``."""
        raw = cast(str | None, await self.redis.hget(keys.WORKFLOWS, name))
        return WorkflowInfo.model_validate_json(raw) if raw else None

    async def workers_seen(self, since: float) -> list[str]:
        """Workers whose last heartbeat is at or after the epoch time ``since``."""
        raw = cast(dict[str, str], await self.redis.hgetall(keys.WORKERS))
        return sorted(name for name, beat in raw.items() if float(beat) >= since)


def _check_cursor(after: str, info: dict[str, Any]) -> None:
    """Raise ``CursorTooOld`` when entries after ``after`` were trimmed from the log.

    ``job_queued`` is every log's first event, so a log starting with anything else was
    trimmed, and every trimmed entry came before the first one kept. A cursor from just below
    that entry reads on without a gap; an older one is refused. (Redis does not record where a
    ``MAXLEN`` trim stopped, so a cursor at exactly the last trimmed entry is refused too: one
    event early, never let through with a gap.)
    """
    first = info.get("first-entry")
    if not first or first[1].get("t") == "job_queued":
        return
    # The id just below the first kept one (sequence numbers never reach 19 digits).
    resume_after = just_before(first[0])
    if cursor_key(after) < cursor_key(resume_after):
        raise CursorTooOld(after, resume_after)


def stored_events(entries: Iterable[tuple[str, dict[str, str]]]) -> list[StoredEvent]:
    """Turn XRANGE/XREAD entries into events with their cursor spliced in."""
    return [
        StoredEvent(id=eid, type=fields["t"], json=event_json(eid, fields["e"]))
        for eid, fields in entries
    ]
