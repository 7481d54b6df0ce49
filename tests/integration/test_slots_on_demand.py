"""Slots on demand: a waiting job gives up its slot as soon as a queued job needs it, and
answered jobs start before new ones (issue 15, item 5). Default suspend settings throughout."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.durable import assert_one_transcript
from tests.support.stack import api_server, celery_worker, wait_until

pytestmark = pytest.mark.heavy

UNLIMITED = {"AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0", "AGENTJOBS_CREATE_RATE_PER_USER": "0"}
TRANSCRIPT_FIELDS = ("type", "sender", "content", "prompt", "value", "result")


def _records(api: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=api, timeout=10) as http:
        return {job_id: http.get(f"/jobs/{job_id}").json() for job_id in ids}


def _all(api: str, ids: list[str], check: Any) -> bool:
    return all(check(record) for record in _records(api, ids).values())


def _asking(record: dict[str, Any]) -> bool:
    return record["pending"] is not None


def _transcript(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a reader sees, without ids, times, the job's id and where it ran."""
    shown = [e for e in events if e["type"] not in ("job_queued", "workflow_started", "progress")]
    return [tuple(e.get(name) for name in TRANSCRIPT_FIELDS) for e in shown]


async def _answer(http: httpx.AsyncClient, record: dict[str, Any], value: str) -> None:
    body = {"request_id": record["pending"]["request_id"], "value": value}
    assert (await http.post(f"/jobs/{record['job_id']}/input", json=body)).status_code == 200


async def test_twenty_chats_on_two_slots_all_ask_within_ten_seconds_and_survive_a_kill(
    isolated_db: str, logs_dir: Path
) -> None:
    with api_server(isolated_db, logs_dir / "api-slots.log", **UNLIMITED) as api:
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            with celery_worker(isolated_db, logs_dir / "worker-slots-1.log", 2) as worker:
                began = time.monotonic()
                created = [
                    await http.post("/jobs", json={"workflow": "learning_chat"}) for _ in range(20)
                ]
                ids = [response.json()["job_id"] for response in created]
                await asyncio.to_thread(
                    wait_until, lambda: _all(api, ids, _asking), 10, "20 questions in 10 s"
                )
                took = time.monotonic() - began
                records = _records(api, ids)
                holding = [r for r in records.values() if not r["suspended"]]
                # Only jobs nobody queued behind keep their slot (until the grace time).
                assert len(holding) <= 2
                for record in holding:
                    await _answer(http, record, "fractions")
                done = [r["job_id"] for r in holding]
                await asyncio.to_thread(
                    wait_until,
                    lambda: _all(api, done, lambda r: r["status"] == "succeeded"),
                    20,
                    "the jobs that kept their slots to finish",
                )
                worker.send_signal(signal.SIGKILL)
                worker.wait()
            rest = [job_id for job_id in ids if job_id not in done]
            with celery_worker(isolated_db, logs_dir / "worker-slots-2.log", 2):
                for record in _records(api, rest).values():
                    await _answer(http, record, "fractions")
                await asyncio.to_thread(
                    wait_until,
                    lambda: _all(api, ids, lambda r: r["status"] == "succeeded"),
                    60,
                    "all 20 jobs to finish",
                )
            logs = [(await http.get(f"/jobs/{job_id}/events")).json()["events"] for job_id in ids]
    assert took < 10
    for events in logs:
        assert_one_transcript(events)
    # Suspended, killed, resumed or not: every job reads exactly like one uninterrupted run.
    first = _transcript(logs[0])
    assert [e[0] for e in first].count("input_received") == 1
    assert first[-1][0] == "workflow_completed" and "fractions" in first[-1][-1]
    assert all(_transcript(events) == first for events in logs)


def _event_ts(events: list[dict[str, Any]], kind: str) -> datetime:
    return datetime.fromisoformat(next(e["ts"] for e in events if e["type"] == kind))


async def test_an_answered_job_starts_before_a_new_job_queued_earlier(
    isolated_db: str, logs_dir: Path
) -> None:
    with api_server(isolated_db, logs_dir / "api-slots-order.log", **UNLIMITED) as api:
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            with celery_worker(isolated_db, logs_dir / "worker-slots-order.log", 1):
                answered = (await http.post("/jobs", json={"workflow": "learning_chat"})).json()
                first = [answered["job_id"]]
                await asyncio.to_thread(wait_until, lambda: _all(api, first, _asking), 10, "ask")
                # A busy job needs the only slot: the waiting one gives it up at once.
                busy_body = {"workflow": "chatty", "params": {"count": 60, "pause_ms": 50}}
                busy = [(await http.post("/jobs", json=busy_body)).json()["job_id"]]
                await asyncio.to_thread(
                    wait_until,
                    lambda: (
                        _all(api, first, lambda r: r["suspended"])
                        and _all(api, busy, lambda r: r["status"] == "running")
                    ),
                    10,
                    "the waiting job suspended for the busy one",
                )
                # While the slot is busy: a new job is queued first, then the answer comes.
                new = (await http.post("/jobs", json={"workflow": "learning_chat"})).json()
                await _answer(http, _records(api, first)[first[0]], "prime numbers")
                await asyncio.to_thread(
                    wait_until,
                    lambda: (
                        _all(api, busy + first, lambda r: r["status"] == "succeeded")
                        and _all(api, [new["job_id"]], _asking)
                    ),
                    30,
                    "the busy and the answered job to finish, the new one to ask",
                )
            resumed = (await http.get(f"/jobs/{first[0]}/events")).json()["events"]
            started = (await http.get(f"/jobs/{new['job_id']}/events")).json()["events"]
    # The answered job ran to its end before the new job, queued before the answer, started.
    assert _event_ts(resumed, "workflow_completed") < _event_ts(started, "workflow_started")
