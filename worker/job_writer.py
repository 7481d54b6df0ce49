"""The worker's side of a job in Redis: start it, append events, wait for answers, hold the lease.

Every write is fenced by the token the worker got when it started the job, so a worker that
lost the job (cancelled, or taken over after its lease expired) cannot write to it any more.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis

from agentjobs import keys, scripts
from agentjobs.job_metrics import end_increments
from agentjobs.journal import JournalEntry
from agentjobs.protocol import (
    AnswerValue,
    Event,
    InputRequest,
    JobRecord,
    JobStatus,
    TextInput,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)
from agentjobs.scripts import CeleryState, StartOutcome, WriteKind
from agentjobs.secrets import unseal
from agentjobs.settings import RedisSettings
from agentjobs.ui import EmitKind, InputTimeout
from agentjobs.versions import DEFAULT_VERSION
from worker import deadline_default
from worker.event_batch import EventBatch, batch_writer
from worker.job_errors import JobLost, Suspended
from worker.journal_reader import read_journal
from worker.outages import surviving_outages
from worker.reply_wait import (
    Wait,
    Yielded,
    blpop_surviving_outages,
    first_hold,
    hold_for_answer,
    question_deadline_ms,
)

StateHook = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Called with a Celery state name and its meta whenever the job's state changes."""

__all__ = ["JobLost", "JobWriter", "StartOutcome", "StateHook", "Suspended"]

log = logging.getLogger(__name__)

PASSWORD_HOLDS_SLOT = "without AGENTJOBS_SECRETS_KEY a password answer cannot be journaled"


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
        self._waiting: Wait | None = None
        self.ended = False
        """True once this writer ended the job (its terminal event is written)."""
        self.start_status = ""
        """The job's status as the start script found it when it refused the start."""
        self.pinned_version = ""
        """The version the job is pinned to, when the start refused it as another version's."""
        self.was_handed_back = False
        """With ``pinned_version``: the refused job is a replay (answered or resumed)."""
        self._seq = 0
        self._emit_lock = asyncio.Lock()
        self._batch = EventBatch(batch_writer(redis, job_id, token, settings.event_log_maxlen))
        self._password_requests: set[str] = set()

    async def start(
        self,
        workflow: str,
        worker: str,
        on_worker_lost: str = "fail",
        version: str = DEFAULT_VERSION,
        celery_state: CeleryState | None = None,
    ) -> tuple[StartOutcome, JobRecord | None]:
        """Take the job (queued, or handed back) for this worker's ``version`` of the workflow;
        the record is returned when it is ours. A job pinned to another version is refused:
        ``pinned_version`` and ``was_handed_back`` then say where it must go. ``celery_state``
        (the task's ``STARTED``) is written with the start."""
        event = WorkflowStarted(job_id=self.job_id, workflow=workflow, worker=worker)
        result = await scripts.start(
            self.redis,
            job_id=self.job_id,
            token=self.token,
            event=event,
            lease_ms=self.lease_ms,
            on_worker_lost=on_worker_lost,
            maxlen=self.settings.event_log_maxlen,
            version=version,
            celery_state=celery_state,
        )
        self.pinned_version, self.was_handed_back = result.version, result.resumed
        if result.record is not None:
            self._record = result.record
        self.start_status = result.status
        return result.outcome, result.record

    async def load_journal(self) -> list[JournalEntry]:
        """Every outside result recorded for this job so far, in order (``journal_reader``)."""
        return await read_journal(self.redis, self.job_id, self.settings.secrets_key)

    async def record(self, entry: JournalEntry) -> None:
        """Append an outside result to the journal; raises ``JobLost`` once the job is not ours."""
        written = await scripts.append_journal(
            self.redis, job_id=self.job_id, token=self.token, entry=entry
        )
        if not written:
            raise JobLost(self.job_id, "unknown", "fenced")

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append and publish an event; raises ``JobLost`` if this worker no longer owns the job.

        A plain event is written behind the run (``worker.event_batch``): its cursor is "". So
        are the cursors of events an earlier attempt already logged (a replay drops them).
        """
        # Agent code emits from several tasks (a team's stream reader, a UserProxyAgent's input
        # function): numbering and queueing under one lock keeps the log in numbering order, so
        # the replay check never mistakes a late write for one already logged.
        async with self._emit_lock:
            if kind == "plain":
                seq, self._seq = self._seq, self._seq + 1
                await self._batch.add(event, seq)
                return ""
            await self._batch.flush()
            if kind == "notice":  # unnumbered: a replay does not emit it again
                return await self._write(event, "plain", {})
            seq, self._seq = self._seq, self._seq + 1
            cursor = await self._write(event, kind, {}, seq=seq)
        if isinstance(event, TextInput) and event.password:
            self._password_requests.add(event.request_id)
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
        await self._batch.settle(self.job_id)
        counted = end_increments(self._record, status, event.ts)
        return await self._write(event, "terminal", {"status": status.value, **fields}, counted)

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """Block until the API pushes the answer; raises ``InputTimeout`` after ``timeout`` s."""
        reply_key = keys.reply(self.job_id, request_id)
        may_suspend = self.suspend_after is not None and not self._keeps_slot(request_id)
        if self.suspend_after is not None and not may_suspend:  # else slots run out silently
            log.warning("job %s holds its slot: %s", self.job_id, PASSWORD_HOLDS_SLOT)
        hold = first_hold(self.suspend_after, timeout) if may_suspend else timeout
        # Kept if the wait is cancelled, so a shutting-down worker can suspend the job.
        self._waiting = Wait(request_id, timeout, asyncio.get_running_loop().time())
        popped = await hold_for_answer(self.redis, reply_key, hold, self.job_id, may_suspend)
        if isinstance(popped, Yielded) or (popped is None and hold != timeout):
            await self._suspend_or_continue(self._waiting)
            popped = await blpop_surviving_outages(self.redis, reply_key, 1.0, self.job_id)
        self._waiting = None
        if popped is None or isinstance(popped, Yielded):
            # The answer may have landed just as the wait ended: take it rather than fail.
            value = cast(str | None, await self.redis.lpop(reply_key))
            if value is None:
                raise InputTimeout(request_id, timeout or 0)
        else:
            value = popped[1]
        await self._state_hook("STARTED", {"job_id": self.job_id})
        answer: AnswerValue = unseal(json.loads(value), self.settings.secrets_key)
        return answer

    async def apply_default(self, request: InputRequest, value: AnswerValue) -> AnswerValue:
        """The request's deadline passed: its default answers it unless a person's did."""
        self._waiting = None
        answer = await deadline_default.apply_default(
            self.redis, self.settings, self.job_id, request, value
        )
        await self._state_hook("STARTED", {"job_id": self.job_id})
        return answer

    async def suspend_waiting(self) -> bool:
        """Let go of the job if its wait for an answer was interrupted (the worker is shutting
        down): True when it is now suspended, and the answer will resume it on any worker."""
        if self._waiting is None or self._keeps_slot(self._waiting.request_id):
            return False
        try:
            await self._suspend_or_continue(self._waiting)
        except Suspended:
            return True
        except JobLost:
            return False
        return False  # answered meanwhile: it cannot wait suspended

    def _keeps_slot(self, request_id: str) -> bool:
        """True when the job may not suspend while waiting for ``request_id``: without a
        secrets key a password answer is not journaled, so only this wait can receive it."""
        return self.settings.secrets_key is None and request_id in self._password_requests

    async def _suspend_or_continue(self, wait: Wait) -> None:
        """Let go of the job while it waits; returns only if the answer came in meanwhile."""
        outcome = await scripts.suspend(
            self.redis,
            job_id=self.job_id,
            token=self.token,
            request_id=wait.request_id,
            deadline_ms=await question_deadline_ms(self.redis, wait),
        )
        if outcome is scripts.Suspension.SUSPENDED:
            raise Suspended(wait.request_id)
        if outcome is scripts.Suspension.FENCED:
            raise JobLost(self.job_id, "unknown", "fenced")

    async def next_control(self, timeout: float) -> str | None:
        """The next control command for this job, or None after ``timeout`` s: ``cancel`` (from
        the API), or ``end`` (pushed by this writer's own terminal write)."""
        popped = await self.redis.blpop([keys.control(self.job_id)], timeout=timeout)
        return None if popped is None else str(popped[1])

    async def renew_lease(self) -> bool:
        """Extend this worker's lease; False when the lease is no longer ours."""
        return await scripts.renew_lease(
            self.redis, job_id=self.job_id, token=self.token, lease_ms=self.lease_ms
        )

    async def _write(
        self,
        event: Event,
        kind: WriteKind,
        fields: dict[str, str],
        counted: dict[str, str] | None = None,
        seq: int = -1,
    ) -> str:
        result = await surviving_outages(
            lambda: scripts.emit(
                self.redis,
                job_id=self.job_id,
                token=self.token,
                event=event,
                kind=kind,
                seq=seq,
                fields=fields,
                metrics=counted or {},
                maxlen=self.settings.event_log_maxlen,
                retention_seconds=self.settings.retention_seconds,
            ),
            self.job_id,
        )
        if result.outcome is scripts.Write.REPLAYED:
            return ""
        if result.outcome is not scripts.Write.WRITTEN:
            raise JobLost(self.job_id, result.status or "missing", result.outcome.value)
        if kind == "terminal":
            self.ended = True
        return result.cursor
