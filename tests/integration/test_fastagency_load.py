"""Load: 200 FastAgency-protocol runs waiting for an answer at once, then all answered.

FastAgency's own server runs each workflow in a thread of the API process and stalls new
handshakes at about 40 waiting runs. Here a waiting run costs the API two idle tasks and a
relay subscription, so handshakes and discovery stay prompt while 200 runs wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.fastagency_wire import fastagency_run, ws_base
from tests.support.stack import api_server, celery_worker

RUNS = 200
PROMPT = 2.0
NO_USER_LIMITS = {
    "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0",
    "AGENTJOBS_CREATE_RATE_PER_USER": "0",
    "AGENTJOBS_MAX_SOCKETS_PER_USER": "0",
}
"""200 runs of one user at once: past every per-user limit."""
"""Seconds within which a new handshake or discovery must answer while every run waits."""


@pytest.fixture
def load_api(isolated_db: str, logs_dir: Path) -> Iterator[str]:
    """A worker with a thread per waiting run (and spare), and an API without a per-user cap."""
    worker_log = logs_dir / "fastagency-load-worker.log"
    with celery_worker(isolated_db, worker_log, concurrency=RUNS + 20):
        api_log = logs_dir / "fastagency-load-api.log"
        with api_server(isolated_db, api_log, **NO_USER_LIMITS) as url:
            yield url


class Crowd:
    """Many runs of ``secret_echo``: each waits for its question, then for the word to answer."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.waiting: list[str] = []
        self.all_waiting = asyncio.Event()
        self.go = asyncio.Event()

    async def one_run(self, number: int) -> tuple[str, str | None, int | None, str]:
        secret = "s" * (number % 40 + 1)
        async with fastagency_run(self.api_url, "secret_echo") as ws:
            await ws.until("text_input", timeout=120)
            self.waiting.append(ws.job_id)
            if len(self.waiting) == RUNS:
                self.all_waiting.set()
            await self.go.wait()
            await ws.answer(secret)
            done = await ws.until("workflow_completed", timeout=120)
            code = await ws.close_code()
        expected = f"got a token of {len(secret)} characters"
        return ws.job_id, done["content"]["result"], code, expected


async def timed(operation: Awaitable[object]) -> float:
    """Seconds ``operation`` took."""
    start = time.monotonic()
    await operation
    return time.monotonic() - start


async def handshake_and_first_frame(api_url: str) -> None:
    """A fresh FastAgency socket: handshake, first frame, answer (an error for a bad name)."""
    async with fastagency_run(api_url, "no_such_flow") as ws:
        assert (await ws.next(timeout=10))["type"] == "error"


@pytest.mark.timeout(420)
async def test_200_waiting_runs_do_not_stall_handshakes_and_all_complete(load_api: str) -> None:
    crowd = Crowd(load_api)
    runs = [asyncio.create_task(crowd.one_run(number)) for number in range(RUNS)]
    everyone = asyncio.create_task(crowd.all_waiting.wait())
    done, _ = await asyncio.wait([everyone, *runs], timeout=240, return_when="FIRST_COMPLETED")
    for task in done - {everyone}:
        task.result()  # a run that ended early: its error fails the test here
    assert everyone in done, f"only {len(crowd.waiting)} of {RUNS} runs reached their question"

    async with httpx.AsyncClient(base_url=load_api, timeout=10) as http:
        jobs = (await http.get("/jobs", params={"limit": 200})).json()["jobs"]
        assert sorted(job["job_id"] for job in jobs) == sorted(crowd.waiting)
        assert {job["status"] for job in jobs} == {"awaiting_input"}

        # Everyone waits: a new client still gets through at once.
        async with connect(f"{ws_base(load_api)}/fastagency/ws", open_timeout=PROMPT):
            pass
        assert await timed(handshake_and_first_frame(load_api)) < PROMPT
        assert await timed(http.get("/fastagency/discovery")) < PROMPT
        discovery = await http.get("/fastagency/discovery")
        assert "secret_echo" in {w["name"] for w in discovery.json()}

    crowd.go.set()
    results = await asyncio.wait_for(asyncio.gather(*runs), timeout=240)
    assert len({job_id for job_id, *_ in results}) == RUNS
    for _job_id, result, code, expected in results:
        assert (result, code) == (expected, 1000)
