"""Cancellation frees the worker slot; a queued job cancelled never starts; waits don't block."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests.support.client import job_socket, start_job
from tests.support.stack import api_server, celery_worker


async def test_cancel_frees_the_slot_and_a_queued_job_never_starts(
    isolated_db: str, logs_dir: Path
) -> None:
    with api_server(isolated_db, logs_dir / "api-cancel.log") as api:
        async with httpx.AsyncClient(base_url=api, timeout=10) as http:
            # No worker yet: the catalog comes from a worker, so publish it first with one.
            with celery_worker(isolated_db, logs_dir / "worker-catalog.log", concurrency=1):
                pass
            queued = await start_job(http, "learning_chat")
            cancelled = await http.post(f"/jobs/{queued}/cancel")
            assert cancelled.status_code == 200
            assert cancelled.json()["status"] == "cancelled"

            with celery_worker(isolated_db, logs_dir / "worker-cancel.log", concurrency=1):
                waiting = await start_job(http, "learning_chat")
                async with job_socket(api, waiting) as ws:
                    await ws.until("text_input")
                    await ws.send({"type": "cancel"})
                    end = await asyncio.wait_for(ws.until_end(), 2)
                assert end["type"] == "workflow_cancelled"
                assert (await http.get(f"/jobs/{waiting}")).json()["status"] == "cancelled"

                # One slot only: the next job runs, so the cancelled one let go of it.
                after = await start_job(http, "learning_chat")
                async with job_socket(api, after) as ws:
                    assert (await ws.until("text_input"))["type"] == "text_input"
                    await ws.send({"type": "cancel"})
                    await ws.until_end()

            events = (await http.get(f"/jobs/{queued}/events")).json()["events"]
            # No worker served it while it was queued: "waiting for a worker" (a progress event)
            # may sit between; what matters is that it never started.
            types = [e["type"] for e in events if e["type"] != "progress"]
            assert types == ["job_queued", "workflow_cancelled"]
            record = (await http.get(f"/jobs/{queued}")).json()
            assert record["status"] == "cancelled" and record["started_at"] is None
            # The worker did receive the queued job's task, and skipped it.
            meta = await _celery_meta(isolated_db, queued)
            assert meta["status"] == "REVOKED"


async def _celery_meta(url: str, task_id: str) -> dict[str, object]:
    from redis.asyncio import Redis

    client = Redis.from_url(url, decode_responses=True)
    try:
        raw = await client.get(f"celery-task-meta-{task_id}")
    finally:
        await client.aclose()
    assert raw is not None, "the worker never saw the task"
    meta: dict[str, object] = json.loads(raw)
    return meta


async def test_two_jobs_wait_for_input_at_once_without_blocking_each_other(
    http: httpx.AsyncClient, api_url: str
) -> None:
    first = await start_job(http, "learning_chat")
    second = await start_job(http, "trip_planner")
    async with job_socket(api_url, first) as ws1, job_socket(api_url, second) as ws2:
        q1 = await ws1.until("text_input")
        q2 = await ws2.until("multiple_choice")
        records = [(await http.get(f"/jobs/{j}")).json() for j in (first, second)]
        assert [r["status"] for r in records] == ["awaiting_input", "awaiting_input"]
        assert records[0]["worker"] == records[1]["worker"]

        # Answer the second first: it runs on while the first still waits.
        await ws2.send({"type": "input", "request_id": q2["request_id"], "value": "Paris"})
        traveler = await ws2.until("text_input")
        assert (await http.get(f"/jobs/{first}")).json()["status"] == "awaiting_input"
        await ws1.send({"type": "input", "request_id": q1["request_id"], "value": "primes"})
        await ws2.send({"type": "input", "request_id": traveler["request_id"], "value": "ok"})
        ends = await asyncio.gather(ws1.until_end(), ws2.until_end())
    assert [e["type"] for e in ends] == ["workflow_completed", "workflow_completed"]


async def test_cancelling_a_finished_job_is_a_conflict(
    http: httpx.AsyncClient, api_url: str
) -> None:
    job_id = await start_job(http, "learning_chat")
    async with job_socket(api_url, job_id) as ws:
        await ws.until("text_input")
        assert (await http.post(f"/jobs/{job_id}/cancel")).status_code == 200
        assert (await ws.until_end())["type"] == "workflow_cancelled"
    again = await http.post(f"/jobs/{job_id}/cancel")
    assert again.status_code == 409
    assert "cancelled" in again.json()["detail"]
