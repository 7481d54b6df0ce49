"""A client that stops reading delays nobody, is disconnected, and resumes from its cursor."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.client import job_socket, start_job, ws_url
from tests.support.metrics import scrape, value
from tests.support.stack import api_server, celery_worker

MESSAGES = 10_000
SIZE = 2048
SEND_TIMEOUT = 1.0
DELAY_BOUND = 2.0
"""Seconds from an event's creation on the worker to its arrival at the reading client."""


async def read_log(http: httpx.AsyncClient, job_id: str, after: str = "0") -> list[dict[str, Any]]:
    """The job's whole event log after ``after``, page by page."""
    events: list[dict[str, Any]] = []
    while True:
        response = await http.get(f"/jobs/{job_id}/events", params={"after": after})
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        if page["next_after"] is None:
            return events
        after = page["next_after"]


async def _stalled_connection(url: str) -> ClientConnection:
    """A WebSocket whose client buffers almost nothing: once it stops reading, TCP pushes back."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock.connect((host, int(port)))
    sock.setblocking(False)
    # No compression: the padded messages would shrink to nothing and never fill a buffer.
    return await connect(url, sock=sock, max_queue=1, compression=None, open_timeout=10)


async def _drain(conn: ClientConnection) -> tuple[list[dict[str, Any]], int | None]:
    """Every frame left on a connection until it closes, and how it closed."""
    frames: list[dict[str, Any]] = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(conn.recv(), 30)))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None


async def _until_no_socket_open(http: httpx.AsyncClient) -> None:
    """Until the API holds no job socket (the reader's closed, the stalled one given up)."""
    # No event reaches a client that does not read: the API's gauge says it let go.
    for _ in range(600):
        if not value(await scrape(http), "agentjobs_websockets_open"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the API never let go of the stalled socket")


def _delay(event: dict[str, Any]) -> float:
    return time.time() - datetime.fromisoformat(event["ts"]).timestamp()


async def test_a_stalled_client_delays_nobody_and_resumes_from_its_cursor(
    isolated_db: str, tmp_path: Path
) -> None:
    env = {"AGENTJOBS_SOCKET_SEND_TIMEOUT_SECONDS": str(SEND_TIMEOUT)}
    with (
        celery_worker(isolated_db, tmp_path / "worker-slow-clients.log", concurrency=2),
        api_server(isolated_db, tmp_path / "api-slow-clients.log", **env) as api,
    ):
        async with httpx.AsyncClient(base_url=api, timeout=30) as http:
            job_id = await start_job(http, "chatty", count=MESSAGES, size=SIZE)
            stalled = await _stalled_connection(ws_url(api, job_id))
            first = json.loads(await stalled.recv())
            assert first["type"] == "job_queued"
            # From here the stalled client reads nothing until the job is over.
            delays: list[float] = []
            async with job_socket(api, job_id) as reader:
                while True:
                    event = await reader.next(timeout=60)
                    delays.append(_delay(event))
                    if event["type"] == "workflow_completed":
                        break

            full = await read_log(http, job_id)
            assert reader.events == full
            assert len(full) == MESSAGES + 3
            worst = max(delays)
            assert worst < DELAY_BOUND, f"the reading client waited up to {worst:.2f} s"

            # Still not reading until the API has given up on it: on a fast machine the job
            # and the log read took less than the send timeout, and a drain begun then let the
            # API send everything (a clean 1000 instead of the cut).
            await _until_no_socket_open(http)
            # The stalled client was cut off before the end (1013, or 1006 when its buffer
            # was too full to take even the close frame).
            received, code = await _drain(stalled)
            seen = [first, *received]
            assert code in (1013, None), code
            assert seen[-1]["type"] != "workflow_completed"
            assert seen == full[: len(seen)]
            async with job_socket(api, job_id, after=seen[-1]["id"]) as resumed:
                await resumed.until_end()
            assert seen + resumed.events == full
        log = (tmp_path / "api-slow-clients.log").read_text()
        assert "closing a socket whose client stopped reading" in log
        assert "Traceback" not in log
