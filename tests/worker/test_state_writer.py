"""State writes run on a fixed set of threads and hand their errors back to the run."""

from __future__ import annotations

import asyncio
import threading

import pytest

from worker.state_writer import StateWriter


async def test_writes_run_on_the_writer_threads_and_their_number_stays_fixed() -> None:
    before = {t.name for t in threading.enumerate()}
    writer = StateWriter(threads=3)
    started = {t.name for t in threading.enumerate()} - before
    seen: list[str] = []

    def record() -> None:
        seen.append(threading.current_thread().name)

    await asyncio.gather(*(writer.write(record) for _ in range(200)))
    assert len(seen) == 200
    assert set(seen) <= started and len(started) == 3
    assert {t.name for t in threading.enumerate()} - before == started


async def test_a_failing_write_raises_in_the_run_and_the_writer_goes_on() -> None:
    writer = StateWriter(threads=1)

    def fail() -> None:
        raise ConnectionError("backend down")

    with pytest.raises(ConnectionError, match="backend down"):
        await writer.write(fail)
    done = threading.Event()
    await writer.write(done.set)
    assert done.is_set()


def test_a_blocking_write_waits_for_its_call_and_raises_what_it_raised() -> None:
    writer = StateWriter(threads=1)
    seen: list[str] = []
    writer.write_blocking(lambda: seen.append(threading.current_thread().name))
    assert seen == ["agentjobs-state-0"]

    def fail() -> None:
        raise ConnectionError("backend down")

    with pytest.raises(ConnectionError, match="backend down"):
        writer.write_blocking(fail)
