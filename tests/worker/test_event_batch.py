"""Events queued while a write is in flight go out together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from agentjobs.protocol import TextMessage
from agentjobs.scripts import Numbered
from worker.event_batch import MAX_QUEUED_EVENTS, EventBatch
from worker.job_errors import JobLost


class _HeldWrites:
    """Records each batch; every write waits until the test lets it through."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail_with: Exception | None = None

    async def write(self, events: Sequence[Numbered]) -> None:
        self.batches.append([TextMessage.model_validate_json(e.body).content for e in events])
        await self.release.wait()
        if self.fail_with is not None:
            raise self.fail_with


def _said(n: int) -> TextMessage:
    return TextMessage(job_id="j", sender="bot", content=str(n))


async def test_the_first_event_goes_at_once_and_the_rest_follow_in_one_write() -> None:
    writes = _HeldWrites()
    batch = EventBatch(writes.write)
    for n in range(10):
        await batch.add(_said(n), n)
    assert writes.batches == [["0"]]  # on the wire before the run went on
    writes.release.set()
    await batch.flush()
    assert writes.batches == [["0"], [str(n) for n in range(1, 10)]]


async def test_a_failed_write_is_raised_by_the_next_add_and_flush() -> None:
    writes = _HeldWrites()
    writes.fail_with = RuntimeError("fenced")
    batch = EventBatch(writes.write)
    await batch.add(_said(0), 0)
    writes.release.set()
    with pytest.raises(RuntimeError, match="fenced"):
        await batch.flush()
    with pytest.raises(RuntimeError, match="fenced"):
        await batch.add(_said(1), 1)
    assert writes.batches == [["0"]]


async def test_a_full_queue_makes_the_run_wait_for_its_write() -> None:
    writes = _HeldWrites()
    batch = EventBatch(writes.write)
    for n in range(MAX_QUEUED_EVENTS):
        await batch.add(_said(n), n)
    adding = asyncio.create_task(batch.add(_said(MAX_QUEUED_EVENTS), MAX_QUEUED_EVENTS))
    await asyncio.sleep(0.05)
    assert not adding.done()  # held behind the write in flight
    writes.release.set()
    await adding
    await batch.flush()
    assert sum(len(b) for b in writes.batches) == MAX_QUEUED_EVENTS + 1


async def test_settling_logs_events_an_outage_kept_and_lets_the_end_be_written(
    caplog: pytest.LogCaptureFixture,
) -> None:
    writes = _HeldWrites()
    writes.fail_with = RedisConnectionError("Redis stayed away past the outage limit")
    batch = EventBatch(writes.write)
    await batch.add(_said(0), 0)
    writes.release.set()
    await batch.settle("job-1")  # returns: the job's end is written next
    assert "job job-1: events lost to a Redis outage" in caplog.text


async def test_settling_keeps_a_lost_job_lost() -> None:
    writes = _HeldWrites()
    writes.fail_with = JobLost("job-1", "cancelled", "finished")
    batch = EventBatch(writes.write)
    await batch.add(_said(0), 0)
    writes.release.set()
    with pytest.raises(JobLost):
        await batch.settle("job-1")
