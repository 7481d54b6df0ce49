"""A thousand jobs waiting for answers on a four-thread worker: flat threads and memory."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.support.durable import DURABLE
from tests.support.stack import api_server, celery_worker, wait_until

pytestmark = pytest.mark.heavy


def _reply(record: dict[str, Any], value: str) -> dict[str, Any]:
    """The body of ``POST /jobs/{id}/input`` answering the job's pending request."""
    return {"request_id": record["pending"]["request_id"], "value": value}


def _threads_and_rss(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) * 1024


async def _gather_limited(calls: list[Any], limit: int = 50) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))


def _statuses(api: str, count: int) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=api, timeout=30) as http:
        for offset in range(0, count, 200):
            page = http.get("/jobs", params={"offset": offset, "limit": 200}).json()
            records |= {job["job_id"]: job for job in page["jobs"]}
    return records


async def _wait_for_jobs(api: str, count: int, what: str, check: Any) -> None:
    def holds() -> bool:
        records = _statuses(api, count)
        return len(records) == count and all(check(r) for r in records.values())

    await asyncio.to_thread(wait_until, holds, 120, what)


async def _start_waiting(http: httpx.AsyncClient, api: str, count: int, total: int) -> list[str]:
    created = await _gather_limited(
        [http.post("/jobs", json={"workflow": "secret_echo"}) for _ in range(count)]
    )
    await _wait_for_jobs(api, total, f"{total} suspended jobs", lambda r: r["suspended"])
    return [response.json()["job_id"] for response in created]


@pytest.mark.timeout(400)  # 1,000 jobs on a busy 2-core machine
async def test_a_thousand_waiting_jobs_on_four_threads(isolated_db: str, logs_dir: Path) -> None:
    env = {"AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0", "AGENTJOBS_CREATE_RATE_PER_USER": "0"}
    # The answer is a password: only with a secrets key may it be journaled, so only then may a
    # job waiting for it let go of its slot.
    key = {"AGENTJOBS_SECRETS_KEY": Fernet.generate_key().decode()}
    with api_server(isolated_db, logs_dir / "api-thousand.log", **env, **key) as api:
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends: the long waits
        # below would otherwise leave a pool of connections the server is closing.
        limits = httpx.Limits(keepalive_expiry=1)
        async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as http:
            log = logs_dir / "worker-thousand-1.log"
            with celery_worker(isolated_db, log, 4, **DURABLE, **key) as worker:
                ids = await _start_waiting(http, api, 100, 100)
                first = _threads_and_rss(worker.pid)
                ids += await _start_waiting(http, api, 900, 1000)
                then = _threads_and_rss(worker.pid)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
            # Flat: ten times the waiting jobs, no more threads and little more memory.
            assert then[0] == first[0]
            assert then[1] - first[1] < 64 * 1024 * 1024

            with celery_worker(
                isolated_db, logs_dir / "worker-thousand-2.log", 4, **DURABLE, **key
            ):
                records = _statuses(api, 1000)
                answers = [
                    http.post(f"/jobs/{job_id}/input", json=_reply(records[job_id], "pw"))
                    for job_id in ids
                ]
                assert {r.status_code for r in await _gather_limited(answers)} == {200}
                await _wait_for_jobs(
                    api, 1000, "1,000 finished jobs", lambda r: r["status"] == "succeeded"
                )
            logs = await _gather_limited([http.get(f"/jobs/{job_id}/events") for job_id in ids])
    expected = ["job_queued", "workflow_started", "text_input", "input_received"]
    for response in logs:
        events = response.json()["events"]
        assert [e["type"] for e in events] == [*expected, "workflow_completed"]
        assert events[-1]["result"] == "got a token of 2 characters"
