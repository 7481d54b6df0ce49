"""Every trip planner transcript in true order: the Traveler is asked after the Planner's plan,
tool results follow their calls, the Traveler's answer shows once; live, read back, and resumed.

``AGENTJOBS_ORDER_RUNS`` sets how many runs each check makes (default 20; the acceptance record
is 50: about 6 s live and 13 s resumed, on 2 cores). The question once raced the team's last
messages: in about 1 run of 10 alone, in every run of 8 at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import httpx

from agentjobs.examples.trip_planner import DESTINATIONS
from tests.support.client import job_socket, start_job
from tests.support.durable import DURABLE, answer_frame, assert_one_transcript
from tests.support.stack import celery_worker

RUNS = int(os.environ.get("AGENTJOBS_ORDER_RUNS", "20"))
PARALLEL = 8
"""Runs in flight at once (the session worker has 8 threads)."""

Events = list[dict[str, Any]]


async def _all_events(http: httpx.AsyncClient, job_id: str) -> Events:
    events: Events = []
    after: str | None = "0"
    while after is not None:
        page = (await http.get(f"/jobs/{job_id}/events", params={"after": after})).json()
        events += page["events"]
        after = page["next_after"]
    return events


def assert_true_order(events: Events, answer: str) -> None:
    """The Planner calls the tool, gets the result, writes the plan; then the Traveler is
    asked (with the Planner's question, not a generic prompt), and answers once."""
    types = [e["type"] for e in events]
    where = {kind: [n for n, t in enumerate(types) if t == kind] for kind in set(types)}
    [call] = where["tool_call"]
    [result] = where["tool_result"]
    plans = [n for n in where["text_message"] if events[n]["sender"] == "Planner"]
    [question] = where["text_input"]
    assert len(plans) == 1, " ".join(types)
    assert call < result < plans[0] < question, " ".join(types)
    assert events[result]["call_id"] == events[call]["call_id"]
    asked = events[question]
    assert asked["sender"] == "Traveler"
    assert "Enter your response" not in asked["prompt"]
    assert asked["prompt"] in events[plans[0]]["content"]
    # The answer: once, as the input_received right after the question.
    shown = [e for e in events if answer in str(e.get("content", e.get("value", "")))]
    assert [e["type"] for e in shown] == ["input_received"], shown
    assert types[question + 1] == "input_received"


async def _until_suspended(http: httpx.AsyncClient, job_id: str) -> None:
    # No event says a job let go of its worker: the record does (as in test_durable_runs).
    for _ in range(500):
        record = (await http.get(f"/jobs/{job_id}")).json()
        if record["suspended"] and record["status"] == "awaiting_input":
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} never suspended")


async def _one_run(
    http: httpx.AsyncClient, api_url: str, n: int, *, resume: bool
) -> tuple[Events, str]:
    answer = f"Looks great, run {n}"
    job_id = await start_job(http, "trip_planner", days=1 + n % 3)
    async with job_socket(api_url, job_id) as ws:
        try:
            choice = await ws.until("multiple_choice")
            await ws.send(answer_frame(choice, DESTINATIONS[n % len(DESTINATIONS)]))
            question = await ws.until("text_input")
            if resume:  # answer a suspended job: the answer replays the run from the start
                await _until_suspended(http, job_id)
            await ws.send(answer_frame(question, answer))
            end = await ws.until_end()
        except TimeoutError:
            stuck = [e["type"] for e in ws.events]
            raise AssertionError(f"job {job_id} stuck after {stuck}") from None
    assert end["type"] == "workflow_completed", end
    return ws.events, job_id


async def _check_runs(
    http: httpx.AsyncClient, api_url: str, runs: int, *, resume: bool = False
) -> list[str]:
    """Make ``runs`` runs, ``PARALLEL`` at a time, and check each log; their job ids."""
    gate = asyncio.Semaphore(PARALLEL)

    async def run(n: int) -> str:
        async with gate:
            live, job_id = await _one_run(http, api_url, n, resume=resume)
        answer = f"Looks great, run {n}"
        assert_true_order(live, answer)
        logged = await _all_events(http, job_id)
        assert [e["id"] for e in logged] == [e["id"] for e in live]
        assert_true_order(logged, answer)
        assert_one_transcript(logged)
        return job_id

    outcomes = await asyncio.gather(*(run(n) for n in range(runs)), return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert not failed, f"{len(failed)} of {runs} runs out of order; the first: {failed[0]!r}"
    return [o for o in outcomes if isinstance(o, str)]


async def test_trip_planner_logs_are_in_true_order_live_and_read_back(
    http: httpx.AsyncClient, api_url: str
) -> None:
    started = time.monotonic()
    await _check_runs(http, api_url, RUNS)
    print(
        f"\n{RUNS} trip_planner runs in order, live and read back: "
        f"{time.monotonic() - started:.1f} s"
    )


async def test_resumed_trip_planner_logs_are_in_true_order(
    durable_api: str, isolated_db: str, logs_dir: Path
) -> None:
    """Each question suspends the job and its answer replays the run from the journal: the
    replay drops what was logged by position, so the order must be the same every time."""
    started = time.monotonic()
    log = logs_dir / "worker-trip-order.log"
    with celery_worker(isolated_db, log, PARALLEL, **DURABLE):
        async with httpx.AsyncClient(base_url=durable_api, timeout=10) as http:
            jobs = await _check_runs(http, durable_api, RUNS, resume=True)
            attempts = [(await http.get(f"/jobs/{job}")).json()["attempt"] for job in jobs]
    # Resumed at least at the Traveler's question: the plan and the tool came from the journal.
    assert all(attempt >= 2 for attempt in attempts), attempts
    print(f"\n{RUNS} resumed trip_planner runs in order: {time.monotonic() - started:.1f} s")
