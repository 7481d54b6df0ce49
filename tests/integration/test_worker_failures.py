"""Killed workers' jobs fail with ``worker_lost`` and never rerun; SIGTERM drains gracefully."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.client import job_socket, start_job
from tests.support.metrics import scrape, value
from tests.support.stack import api_server, celery_worker

pytestmark = pytest.mark.heavy

LEASE = {"AGENTJOBS_LEASE_SECONDS": "1.5"}
WORKFLOWS = ("chatty", "learning_chat")
"""What the killed jobs run."""
REAP_BOUND = 10.0
"""Seconds within which a lost job must be failed: lease (1.5 s) + reaper interval + slack."""


@pytest.fixture
async def reaping_api(isolated_db: str, logs_dir: Path) -> AsyncIterator[str]:
    """An API on a database of its own whose reaper looks every half second."""
    with api_server(
        isolated_db, logs_dir / "api-failures.log", AGENTJOBS_REAPER_INTERVAL_SECONDS="0.5"
    ) as url:
        yield url


async def _kill_mid_run(api: str, http: httpx.AsyncClient, db: str, log: Path, n: int) -> str:
    """Start a worker and a job, SIGKILL the worker at a point that depends on ``n``."""
    with celery_worker(db, log, concurrency=2, **LEASE) as worker:
        waiting = n % 2 == 1
        if waiting:
            job_id = await start_job(http, "learning_chat")
        else:
            job_id = await start_job(http, "chatty", count=10_000, pause_ms=5)
        async with job_socket(api, job_id) as ws:
            if waiting:
                await ws.until("text_input")
            else:
                for _ in range(n + 1):  # a different message count every time
                    await ws.until("text_message")
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            end = await asyncio.wait_for(ws.until_end(), REAP_BOUND)
        assert end["type"] == "workflow_failed" and end["reason"] == "worker_lost", end
    return job_id


@pytest.mark.timeout(240)  # kills and worker starts: 68 s on a slow machine
async def test_sigkill_mid_run_fails_the_job_for_every_watcher_and_never_reruns_it(
    reaping_api: str, isolated_db: str, logs_dir: Path
) -> None:
    async with httpx.AsyncClient(base_url=reaping_api, timeout=10) as http:
        killed = [
            await _kill_mid_run(
                reaping_api, http, isolated_db, logs_dir / f"worker-kill-{n}.log", n
            )
            for n in range(10)
        ]
        # A fresh worker takes new work but none of the killed jobs.
        with celery_worker(isolated_db, logs_dir / "worker-after-kills.log", **LEASE):
            fresh = await start_job(http, "chatty", count=2)
            async with job_socket(reaping_api, fresh) as ws:
                assert (await ws.until_end())["type"] == "workflow_completed"
            for job_id in killed:
                record = (await http.get(f"/jobs/{job_id}")).json()
                assert record["status"] == "failed" and record["reason"] == "worker_lost"
                assert record["attempt"] == 1
                events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
                types = [e["type"] for e in events]
                assert types.count("workflow_started") == 1
                assert types[-1] == "workflow_failed"
        # The reaper's ends count in the job metrics like any other (a database of its own).
        samples = await scrape(http)
        finished = "agentjobs_jobs_finished_total"
        lost = sum(value(samples, finished, workflow=wf, outcome="failed") for wf in WORKFLOWS)
        assert lost == len(killed)
        assert value(samples, finished, workflow="chatty", outcome="succeeded") == 1


async def test_sigterm_lets_short_jobs_finish_suspends_waiting_ones_and_fails_the_rest(
    reaping_api: str, isolated_db: str, logs_dir: Path
) -> None:
    env = {**LEASE, "AGENTJOBS_SHUTDOWN_GRACE_SECONDS": "3"}
    async with httpx.AsyncClient(base_url=reaping_api, timeout=10) as http:
        with celery_worker(isolated_db, logs_dir / "worker-sigterm.log", **env) as worker:
            long_job = await start_job(http, "chatty", count=10_000, pause_ms=20)
            waiting_job = await start_job(http, "learning_chat")
            short_job = await start_job(http, "chatty", count=8, pause_ms=200)
            async with (
                job_socket(reaping_api, long_job) as long_ws,
                job_socket(reaping_api, waiting_job) as waiting_ws,
                job_socket(reaping_api, short_job) as short_ws,
            ):
                question = await waiting_ws.until("text_input")
                await long_ws.until("text_message")
                await short_ws.until("text_message")
                worker.send_signal(signal.SIGTERM)
                late_job = await start_job(http, "chatty", count=1)
                short_end = await short_ws.until_end()
                long_end = await asyncio.wait_for(long_ws.until_end(), 10)
            exit_code = await asyncio.to_thread(worker.wait, 15)
        assert short_end["type"] == "workflow_completed" and short_end["result"] == 8
        assert long_end["type"] == "workflow_failed" and long_end["reason"] == "shutdown"
        assert "shut down" in long_end["error"]
        assert exit_code == 0
        # The job waiting for a human let go of the worker instead of failing.
        waiting = (await http.get(f"/jobs/{waiting_job}")).json()
        assert (waiting["status"], waiting["suspended"]) == ("awaiting_input", True), waiting
        # A job sent during the shutdown is not taken; it waits for the next worker.
        assert (await http.get(f"/jobs/{late_job}")).json()["status"] == "queued"
        with celery_worker(isolated_db, logs_dir / "worker-after-sigterm.log", **LEASE):
            async with job_socket(reaping_api, late_job) as ws:
                assert (await ws.until_end())["type"] == "workflow_completed"
            async with job_socket(reaping_api, waiting_job, question["id"]) as ws:
                answer = {"request_id": question["request_id"], "value": "volcanoes"}
                assert (await http.post(f"/jobs/{waiting_job}/input", json=answer)).is_success
                assert (await ws.until_end())["type"] == "workflow_completed"
            log = (await http.get(f"/jobs/{waiting_job}/events")).json()["events"]
            types = [e["type"] for e in log]
            assert types.count("text_input") == 1 and types.count("workflow_started") == 1
