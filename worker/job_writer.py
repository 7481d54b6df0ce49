"""The worker's side of a job in Redis: start it, append events, wait for answers, hold the lease.

Every write is fenced by the token the worker got when it started the job, so a worker that
lost the job (cancelled, or taken over after its lease expired) cannot write to it any more.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from agentjobs import keys, lua
from agentjobs.job_metrics import end_increments
from agentjobs.journal import JournalEntry
from agentjobs.protocol import (
    AnswerValue,
    Event,
    JobRecord,
    JobStatus,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)
from agentjobs.records import field_pairs, record_from_hash
from agentjobs.settings import RedisSettings
from agentjobs.ui import EmitKind, InputTimeout

log = logging.getLogger(__name__)

StateHook = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Called with a Celery state name and its meta whenever the job's state changes."""


class StartOutcome(StrEnum):
    """What happened when the worker tried to start a job."""

    STARTED = "started"
    RESUMED = "resumed"
    """Handed back after a suspension or a lost worker: replay from the journal."""
    MISSING = "missing"
    FINISHED = "finished"
    """Already terminal (for instance cancelled while queued): it must not run."""
    ALREADY_STARTED = "already_started"
    """Another delivery of a job that already began: never run twice behind the user's back."""


class JobLost(Exception):
    """The worker may no longer write to the job: it was cancelled, or another attempt owns it."""

    def __init__(self, job_id: str, status: str, reason: str) -> None:
        super().__init__(f"job {job_id} is {status} ({reason})")
        self.status = status
        self.reason = reason


class Suspended(Exception):
    """The job let go of its worker while it waits for ``request_id``; the answer requeues it."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"suspended waiting for {request_id}")
        self.request_id = request_id


@dataclass(frozen=True)
class _Wait:
    """A wait for an answer in progress: the question, its timeout, and when it began."""

    request_id: str
    timeout: float | None
    since: float
    """``loop.time()`` when the wait began."""


def _shorter(hold: float, timeout: float | None) -> float:
    hold = max(hold, 0.01)  # BLPOP reads 0 as "forever"
    return hold if not timeout else min(hold, timeout)


class JobWriter:
    """One worker's handle on one job; an ``EventSink`` for ``JobUI``."""

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        job_id: str,
        token: str,
        lease_ms: int,
        state_hook: StateHook,
        suspend_after: float | None = None,
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.job_id = job_id
        self.token = token
        self.lease_ms = lease_ms
        self.suspend_after = suspend_after
        """Seconds to hold a waiting job before suspending it (None: never suspend)."""
        self._state_hook = state_hook
        self._record: JobRecord | None = None
        self._waiting: _Wait | None = None
        self.ended = False
        """True once this writer ended the job (its terminal event is written)."""
        self._seq = 0
        self._emit_lock = asyncio.Lock()
        self._start = redis.register_script(lua.START)
        self._emit = redis.register_script(lua.EMIT)
        self._renew = redis.register_script(lua.RENEW_LEASE)
        self._journal = redis.register_script(lua.JOURNAL)
        self._suspend = redis.register_script(lua.SUSPEND)

    async def start(
        self, workflow: str, worker: str, on_worker_lost: str = "fail"
    ) -> tuple[StartOutcome, JobRecord | None]:
        """Take the job (queued, or handed back); the record is returned when it is ours."""
        event = WorkflowStarted(job_id=self.job_id, workflow=workflow, worker=worker)
        result = await self._start(
            keys=[self._job, self._events, self._live, self._lease, keys.LEASES],
            args=[
                self.token,
                worker,
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                event.ts.isoformat(),
                self.lease_ms,
                self.job_id,
                on_worker_lost,
            ],
        )
        if result[0] != "ok":
            return StartOutcome(result[0]), None
        flat: list[str] = result[3]
        self._record = record_from_hash(dict(zip(flat[::2], flat[1::2], strict=True)))
        return StartOutcome(result[2]), self._record

    async def load_journal(self) -> list[JournalEntry]:
        """Every outside result recorded for this job so far, in order."""
        raw = cast(list[str], await self.redis.lrange(keys.journal(self.job_id), 0, -1))
        return [JournalEntry.model_validate_json(entry) for entry in raw]

    async def record(self, entry: JournalEntry) -> None:
        """Append an outside result to the journal; raises ``JobLost`` once the job is not ours."""
        written = await self._journal(
            keys=[self._job, self._lease, keys.journal(self.job_id)],
            args=[self.token, entry.model_dump_json()],
        )
        if not written:
            raise JobLost(self.job_id, "unknown", "fenced")

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append and publish an event; raises ``JobLost`` if this worker no longer owns the job.

        Events an earlier attempt already logged (a replay) are dropped; the cursor is then "".
        """
        # Agent code emits from several tasks (a team's stream reader, a UserProxyAgent's input
        # function): numbering and writing under one lock keeps the log in numbering order, so
        # the replay check never mistakes a late write for one already logged.
        async with self._emit_lock:
            seq, self._seq = self._seq, self._seq + 1
            cursor = await self._write(event, kind, {}, seq=seq)
        if kind == "request" and cursor:
            pending = json.loads(event.model_dump_json())
            pending["id"] = cursor
            await self._state_hook("AWAITING_INPUT", pending)
        return cursor

    async def complete(self, result: Any) -> str:
        """End the job successfully with ``result`` (which must be JSON-serialisable)."""
        event = WorkflowCompleted(job_id=self.job_id, result=result)
        fields = {"finished_at": event.ts.isoformat(), "result": json.dumps(result)}
        return await self._end(event, JobStatus.SUCCEEDED, fields)

    async def fail(self, error: str, reason: str) -> str:
        """End the job with a failure."""
        event = WorkflowFailed(job_id=self.job_id, error=error, reason=reason)  # type: ignore[arg-type]
        fields = {"finished_at": event.ts.isoformat(), "error": error, "reason": reason}
        return await self._end(event, JobStatus.FAILED, fields)

    async def cancelled(self, by: str) -> str:
        """End the job as cancelled from inside the worker (the API normally does this)."""
        event = WorkflowCancelled(job_id=self.job_id, by=by)
        return await self._end(event, JobStatus.CANCELLED, {"finished_at": event.ts.isoformat()})

    async def _end(self, event: Event, status: JobStatus, fields: dict[str, str]) -> str:
        """Write the terminal ``event``: the job's status and ``fields``, and its metrics."""
        counted = end_increments(self._record, status, event.ts)
        return await self._write(event, "terminal", {"status": status.value, **fields}, counted)

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """Block until the API pushes the answer; raises ``InputTimeout`` after ``timeout`` s."""
        reply_key = keys.reply(self.job_id, request_id)
        hold = timeout if self.suspend_after is None else _shorter(self.suspend_after, timeout)
        # Kept if the wait is cancelled, so a shutting-down worker can suspend the job.
        self._waiting = _Wait(request_id, timeout, asyncio.get_running_loop().time())
        popped = await self._blpop_surviving_outages(reply_key, hold)
        if popped is None and hold != timeout:
            await self._suspend_or_continue(self._waiting)
            popped = await self._blpop_surviving_outages(reply_key, 1.0)
        self._waiting = None
        if popped is None:
            # The answer may have landed just as the wait ended: take it rather than fail.
            late = cast(str | None, await self.redis.lpop(reply_key))
            if late is None:
                raise InputTimeout(request_id, timeout or 0)
            value = late
        else:
            value = popped[1]
        await self._state_hook("STARTED", {"job_id": self.job_id})
        answer: AnswerValue = json.loads(value)
        return answer

    async def suspend_waiting(self) -> bool:
        """Let go of the job if its wait for an answer was interrupted (the worker is shutting
        down): True when it is now suspended, and the answer will resume it on any worker."""
        if self._waiting is None:
            return False
        try:
            await self._suspend_or_continue(self._waiting)
        except Suspended:
            return True
        except JobLost:
            return False
        return False  # answered meanwhile: it cannot wait suspended

    async def _suspend_or_continue(self, wait: _Wait) -> None:
        """Let go of the job while it waits; returns only if the answer came in meanwhile."""
        started = await self.redis.time()
        now_ms = int(started[0]) * 1000 + int(started[1]) // 1000
        # The question's deadline counts from when the wait began, in Redis's clock.
        waited_ms = int((asyncio.get_running_loop().time() - wait.since) * 1000)
        timeout, request_id = wait.timeout, wait.request_id
        deadline = "" if not timeout else str(now_ms - waited_ms + int(timeout * 1000))
        result = await self._suspend(
            keys=[self._job, self._lease, keys.LEASES, keys.INPUT_DEADLINES],
            args=[self.token, request_id, deadline, self.job_id],
        )
        if result[0] == "suspended":
            raise Suspended(request_id)
        if result[0] == "fenced":
            raise JobLost(self.job_id, "unknown", "fenced")

    async def _blpop_surviving_outages(self, key: str, timeout: float | None) -> list[str] | None:
        """BLPOP that waits out a Redis restart instead of failing the job; same total timeout.

        An answer pushed before the outage is still there afterwards (the list is persisted),
        and a job must not fail just because its store blinked while a human was thinking.
        """
        loop = asyncio.get_running_loop()
        deadline = None if not timeout else loop.time() + timeout
        pause = 0.1
        while True:
            left = 0.0 if deadline is None else max(deadline - loop.time(), 0.001)
            try:
                return cast("list[str] | None", await self.redis.blpop([key], timeout=left))
            except (RedisConnectionError, RedisTimeoutError, OSError):
                if deadline is not None and loop.time() >= deadline:
                    return None
                log.warning("job %s: Redis unreachable while waiting for input", self.job_id)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)

    async def next_control(self, timeout: float) -> str | None:
        """The next control command for this job, or None after ``timeout`` s: ``cancel`` (from
        the API), or ``end`` (pushed by this writer's own terminal write)."""
        popped = await self.redis.blpop([keys.control(self.job_id)], timeout=timeout)
        return None if popped is None else str(popped[1])

    async def renew_lease(self) -> bool:
        """Extend this worker's lease; False when the lease is no longer ours."""
        renewed = await self._renew(
            keys=[self._lease, keys.LEASES], args=[self.token, self.lease_ms, self.job_id]
        )
        return bool(renewed)

    async def _write(
        self,
        event: Event,
        kind: str,
        fields: dict[str, str],
        counted: dict[str, str] | None = None,
        seq: int = -1,
    ) -> str:
        result = await self._emit(
            keys=[
                self._job,
                self._events,
                self._live,
                self._lease,
                keys.LEASES,
                keys.control(self.job_id),
                keys.METRICS,
            ],
            args=[
                self.token,
                event.model_dump_json(exclude={"id"}),
                self.settings.event_log_maxlen,
                kind,
                self.settings.retention_seconds,
                event.type,
                seq,
                *field_pairs(fields),
                *field_pairs(counted or {}),
            ],
        )
        if result[0] == "replayed":
            return ""
        if result[0] == "ok" and kind == "terminal":
            self.ended = True
        if result[0] != "ok":
            status = result[1] if len(result) > 1 else "missing"
            raise JobLost(self.job_id, status, result[0])
        return str(result[1])

    @property
    def _job(self) -> str:
        return keys.job(self.job_id)

    @property
    def _events(self) -> str:
        return keys.events(self.job_id)

    @property
    def _live(self) -> str:
        return keys.live(self.job_id)

    @property
    def _lease(self) -> str:
        return keys.lease(self.job_id)
