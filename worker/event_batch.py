"""A run's plain events written behind it, back-to-back ones in one round trip.

``ui.text_message`` returns once its event is queued, not once Redis has it: the first event
of a burst goes out at once (the emit yields to the writing task, which puts it on the wire),
and whatever the workflow says while that write is in flight follows in the next one. Nothing
is lost by returning early: a run that dies before its events are written is replayed from the
journal and numbers them the same, so the replay writes them then. Anything that changes the
job (a question, the job's end, a notice) waits for the queue to drain first, which keeps the
log in the order the workflow spoke.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from agentjobs import scripts
from agentjobs.protocol import Event
from agentjobs.scripts import Numbered
from worker.job_errors import JobLost
from worker.outages import surviving_outages

log = logging.getLogger(__name__)

BatchWrite = Callable[[Sequence[Numbered]], Awaitable[None]]
"""Writes one batch, in order; raises when the run may not write any more (``JobLost``)."""

MAX_QUEUED_EVENTS = 256
MAX_QUEUED_BYTES = 1 << 20
"""Past either bound an emit waits for the queue to drain: a workflow that outruns Redis (or
rides out an outage) holds a bounded backlog in memory."""


class EventBatch:
    """The queue of a run's plain events not yet written, and the task writing them."""

    def __init__(self, write: BatchWrite) -> None:
        self._write = write
        self._queued: list[Numbered] = []
        self._queued_bytes = 0
        self._writing: asyncio.Task[None] | None = None
        self._failure: Exception | None = None

    async def add(self, event: Event, seq: int) -> None:
        """Queue ``event`` numbered ``seq``; raises what an earlier write raised, so a run that
        lost its job stops at its next emit."""
        self._raise_failure()
        numbered = Numbered.of(event, seq)
        self._queued.append(numbered)
        self._queued_bytes += len(numbered.body)
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain(), name="agentjobs-emit")
        if len(self._queued) >= MAX_QUEUED_EVENTS or self._queued_bytes >= MAX_QUEUED_BYTES:
            await self.flush()
        else:
            await asyncio.sleep(0)  # the writer sends what is queued before the run goes on

    async def flush(self) -> None:
        """Return once every queued event is written; raises what a write raised."""
        while self._writing is not None and not self._writing.done():
            # Shielded: a run cancelled here leaves its events to be written, not half sent.
            await asyncio.shield(self._writing)
        self._raise_failure()

    async def settle(self, job_id: str) -> None:
        """Flush before the job's end. ``JobLost`` stands; events that an outage longer than
        the writes ride out kept from Redis are logged as lost, and the end is still tried (its
        own write waits the store out again), so the job does not stay running."""
        try:
            await self.flush()
        except (RedisError, OSError) as exc:
            log.error("job %s: events lost to a Redis outage (%r); writing its end", job_id, exc)

    async def _drain(self) -> None:
        while self._queued and self._failure is None:
            batch, self._queued, self._queued_bytes = self._queued, [], 0
            try:
                await self._write(batch)
            except Exception as exc:  # handed to the run's next emit or flush
                self._failure = exc
                self._queued.clear()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


def batch_writer(redis: Redis, job_id: str, token: str, maxlen: int) -> BatchWrite:
    """Writes a batch with ``scripts.emit_batch`` fenced by ``token``, riding out outages."""

    async def write(events: Sequence[Numbered]) -> None:
        result = await surviving_outages(
            lambda: scripts.emit_batch(
                redis, job_id=job_id, token=token, events=events, maxlen=maxlen
            ),
            job_id,
        )
        if result.outcome is not scripts.Write.WRITTEN:
            raise JobLost(job_id, result.status or "missing", result.outcome.value)

    return write
