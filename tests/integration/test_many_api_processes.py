"""The API is stateless: any process serves any job, and a killed one loses a client nothing.

Four uvicorn processes share the session Redis and worker: a job is started, watched, answered
and cancelled through different ones; then, 20 times, the process a client watches through is
SIGKILLed mid-run and the client resumes through another with its last cursor. Gunicorn with
four uvicorn workers serves a job end to end too.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed

from agentjobs.cli.redis_server import free_port
from tests.support.client import JobSocket, job_socket, start_job
from tests.support.stack import RedisServer, api_server, base_env, running, wait_until
from tests.support.workflows import ChattyParams

pytestmark = pytest.mark.heavy

PROCESSES = 4
KILLS = 20


class ApiProcesses:
    """Several API processes on one Redis; any of them can be killed and started again."""

    def __init__(self, redis_url: str, logs: Path) -> None:
        self.redis_url = redis_url
        self.logs = logs
        self.ports = [free_port() for _ in range(PROCESSES)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self.ports]
        self._stacks = [ExitStack() for _ in range(PROCESSES)]
        self._pids = [0] * PROCESSES
        self.starts = 0

    def start(self, index: int) -> None:
        """Start process ``index`` on its port; returns once it answers ``/health``."""
        self.starts += 1
        log = self.logs / f"api-{index}-{self.starts}.log"
        self._stacks[index].enter_context(api_server(self.redis_url, log, self.ports[index]))
        # Found now, so that killing it later is instant.
        [self._pids[index]] = [
            child.pid
            for child in psutil.Process().children()
            if _serves_port(child, self.ports[index])
        ]

    def kill(self, index: int) -> None:
        """SIGKILL process ``index``: no shutdown, no goodbye to its clients."""
        os.kill(self._pids[index], signal.SIGKILL)
        self._stacks[index].close()  # reaps it

    def stop_all(self) -> None:
        for stack in self._stacks:
            stack.close()


def _serves_port(process: psutil.Process, port: int) -> bool:
    """True for the API process started on ``port`` (other children may be gone already)."""
    try:
        return str(port) in process.cmdline()
    except psutil.Error:
        return False


@pytest.fixture
def apis(redis_srv: RedisServer, worker_proc: None, tmp_path: Path) -> Iterator[ApiProcesses]:
    processes = ApiProcesses(redis_srv.url, tmp_path)
    try:
        for index in range(PROCESSES):
            processes.start(index)
        yield processes
    finally:
        processes.stop_all()


async def read_log(http: httpx.AsyncClient, job_id: str) -> list[dict[str, Any]]:
    """The job's whole event log, page by page."""
    events: list[dict[str, Any]] = []
    after = "0"
    while True:
        page = (await http.get(f"/jobs/{job_id}/events", params={"after": after})).json()
        events += page["events"]
        if page["next_after"] is None:
            return events
        after = page["next_after"]


async def test_start_watch_answer_and_cancel_through_different_processes(
    apis: ApiProcesses,
) -> None:
    a, b, c, d = apis.urls
    async with (
        httpx.AsyncClient(base_url=a, timeout=10) as via_a,
        httpx.AsyncClient(base_url=c, timeout=10) as via_c,
        httpx.AsyncClient(base_url=d, timeout=10) as via_d,
    ):
        answered = await start_job(via_a, "learning_chat")
        cancelled = await start_job(via_a, "learning_chat")
        async with job_socket(b, answered) as watcher, job_socket(a, cancelled) as other:
            question = await watcher.until("text_input")
            await other.until("text_input")
            answer = {"request_id": question["request_id"], "value": "fractions"}
            assert (await via_c.post(f"/jobs/{answered}/input", json=answer)).status_code == 200
            assert (await watcher.until("input_received"))["value"] == "fractions"
            assert (await watcher.until_end())["type"] == "workflow_completed"

            assert (await via_d.post(f"/jobs/{cancelled}/cancel")).status_code == 200
            assert (await other.until_end())["type"] == "workflow_cancelled"

        for url in apis.urls:  # every process tells the same story
            async with httpx.AsyncClient(base_url=url, timeout=10) as http:
                assert (await http.get(f"/jobs/{answered}")).json()["status"] == "succeeded"
                assert (await http.get(f"/jobs/{cancelled}")).json()["status"] == "cancelled"
                logged = [e for e in watcher.events if e["type"] != "stream_chunk"]
                assert await read_log(http, answered) == logged


async def _until_cut(ws: JobSocket) -> None:
    """Read until the server side of the socket is gone."""
    with pytest.raises(ConnectionClosed):
        while True:
            await ws.next()


@pytest.mark.timeout(400)
async def test_killing_the_process_a_client_watches_through_loses_nothing(
    apis: ApiProcesses,
) -> None:
    # About 3 s a job; the client is cut within its first 1.6 s.
    messages = ChattyParams(count=60, pause_ms=50)
    restarts: dict[int, asyncio.Task[None]] = {}

    async def ready(*indexes: int) -> None:
        # A killed process starts again in the background; wait only when it is needed.
        for index in indexes:
            if index in restarts:
                await restarts.pop(index)

    for round_ in range(KILLS):
        victim = round_ % PROCESSES
        rescuer, starter = (victim + 1) % PROCESSES, (victim + 2) % PROCESSES
        await ready(victim, rescuer, starter)
        async with httpx.AsyncClient(base_url=apis.urls[starter], timeout=10) as http:
            job_id = await start_job(http, "chatty", **messages.model_dump())
            seen_before_kill = 2 + (round_ * 7) % 30  # a different moment every round
            async with job_socket(apis.urls[victim], job_id) as first:
                while len(first.events) < seen_before_kill:
                    await first.next()
                apis.kill(victim)
                await _until_cut(first)
            assert first.events[-1]["type"] != "workflow_completed", "killed after the end"
            restarts[victim] = asyncio.create_task(asyncio.to_thread(apis.start, victim))
            async with job_socket(apis.urls[rescuer], job_id, first.events[-1]["id"]) as second:
                await second.until_end()
            transcript = first.events + second.events
            assert transcript == await read_log(http, job_id), f"round {round_}"
            assert [e["type"] for e in transcript].count("text_message") == messages.count
    await ready(*range(PROCESSES))
    assert apis.starts == PROCESSES + KILLS


@pytest.mark.parametrize(
    "worker_class", ["uvicorn.workers.UvicornWorker", "backend.gunicorn_worker.UvicornWorker"]
)
async def test_gunicorn_with_four_uvicorn_workers_runs_a_job_end_to_end(
    redis_srv: RedisServer, worker_proc: None, tmp_path: Path, worker_class: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gunicorn", "backend.main:app", "-w", "4", "-k", worker_class]
    argv += ["-b", f"127.0.0.1:{port}", "-c", "python:backend.gunicorn_conf"]
    env = base_env(redis_srv.url, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"))
    log = tmp_path / "gunicorn.log"
    with running(argv, env, log) as master:
        wait_until(lambda: _serves(url, master.pid), 60, "gunicorn's four workers")
        assert len(psutil.Process(master.pid).children()) == 4
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            job_id = await start_job(http, "learning_chat")
            async with job_socket(url, job_id) as ws:
                if worker_class.startswith("backend."):
                    # The client offered permessage-deflate; the API's worker class declines it.
                    assert "Sec-WebSocket-Extensions" not in ws.conn.response.headers
                question = await ws.until("text_input")
                answer = {"request_id": question["request_id"], "value": "fractions"}
                assert (await http.post(f"/jobs/{job_id}/input", json=answer)).status_code == 200
                end = await ws.until_end()
            assert end["type"] == "workflow_completed"
            # The Teacher's stream chunks were live only: the log keeps its messages.
            logged = [e for e in ws.events if e["type"] != "stream_chunk"]
            assert await read_log(http, job_id) == logged
            assert (await http.get(f"/jobs/{job_id}")).json()["status"] == "succeeded"
    assert "Traceback" not in log.read_text()


def _serves(url: str, master: int) -> bool:
    try:
        healthy = httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
    return healthy and len(psutil.Process(master).children()) == 4
