"""Per-user limits counted across API processes: open job sockets, and how fast jobs start."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.support.agui_client import run_input
from tests.support.client import start_job, ws_url
from tests.support.stack import api_server, celery_worker

pytestmark = pytest.mark.heavy

SOCKET_CAP = 3
RATE = 3


@contextmanager
def two_apis(db: str, logs: Path, **env: str) -> Iterator[tuple[str, str]]:
    """Two API processes on one database, after a worker published the catalog and left (so
    jobs stay queued)."""
    with celery_worker(db, logs / "worker-catalog.log", concurrency=1):
        pass
    with ExitStack() as stack:
        first = stack.enter_context(api_server(db, logs / "api-a.log", **env))
        second = stack.enter_context(api_server(db, logs / "api-b.log", **env))
        yield first, second


def _rpc(method: str, params: dict[str, object]) -> dict[str, object]:
    """One MCP JSON-RPC request (the transport is stateless: no initialize needed)."""
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


def _fastagency_url(api: str) -> str:
    return f"ws://{api.removeprefix('http://')}/fastagency/ws"


async def _admitted(url: str, within: float = 5.0) -> ClientConnection:
    """A socket on ``url`` once the cap admits it (429s until then, up to ``within`` s)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await connect(url, open_timeout=10)
        except InvalidStatus as exc:
            if exc.response.status_code != 429 or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)  # the slot is released by the server, with no event to us


async def _refused(url: str) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=10):
            pass
    return refused.value


async def test_sockets_past_the_cap_are_refused_across_processes_until_one_closes(
    isolated_db: str, tmp_path: Path
) -> None:
    env = {
        "AGENTJOBS_MAX_SOCKETS_PER_USER": str(SOCKET_CAP),
        "AGENTJOBS_FASTAGENCY_INIT_TIMEOUT_SECONDS": "60",
    }
    with two_apis(isolated_db, tmp_path, **env) as (api_a, api_b):
        async with httpx.AsyncClient(base_url=api_a, timeout=30) as http:
            job_id = await start_job(http, "chatty", count=1)  # stays queued: no worker
        async with AsyncExitStack() as sockets:
            # Two job sockets on one process, a FastAgency socket (waiting for its first
            # frame) on the other: the user is at the cap.
            first = await sockets.enter_async_context(connect(ws_url(api_a, job_id)))
            await sockets.enter_async_context(connect(ws_url(api_a, job_id)))
            await sockets.enter_async_context(connect(_fastagency_url(api_b)))
            for url in (ws_url(api_b, job_id), _fastagency_url(api_a)):
                refused = await _refused(url)
                assert refused.response.status_code == 429
                detail = json.loads(refused.response.body or b"{}")["detail"]
                assert f"the limit is {SOCKET_CAP}" in detail
            # A socket that closes gives its slot back, to any process: as soon as the server's
            # side of it ends, which may be a moment after the client's close returns.
            await first.close()
            async with await _admitted(ws_url(api_b, job_id)) as again:
                assert json.loads(await again.recv())["type"] == "job_queued"
        # All closed: the whole cap is free again.
        async with AsyncExitStack() as sockets:
            for _ in range(SOCKET_CAP):
                await sockets.enter_async_context(connect(_fastagency_url(api_b)))
        # An AG-UI run's stream counts too: one open on a process, two sockets on the other.
        async with (
            httpx.AsyncClient(base_url=api_a, timeout=30) as http_a,
            httpx.AsyncClient(base_url=api_b, timeout=30) as http_b,
            AsyncExitStack() as sockets,
        ):
            thread = run_input(uuid.uuid4().hex, state={"count": 1})
            stream = await sockets.enter_async_context(
                http_b.stream("POST", "/ag-ui/chatty", json=thread)
            )
            assert stream.status_code == 200  # its job stays queued: the stream stays open
            for _ in range(SOCKET_CAP - 1):
                await sockets.enter_async_context(connect(ws_url(api_a, job_id)))
            assert (await _refused(_fastagency_url(api_b))).response.status_code == 429
            # At the cap a run is refused before it starts anything: no job for its thread.
            before = (await http_a.get("/jobs")).json()["total"]
            over = await http_a.post("/ag-ui/chatty", json=run_input(uuid.uuid4().hex))
            assert over.status_code == 429, over.text
            assert f"the limit is {SOCKET_CAP}" in over.json()["detail"]
            assert (await http_a.get("/jobs")).json()["total"] == before
            await stream.aclose()  # the client leaves: the stream's slot comes back
            async with await _admitted(ws_url(api_b, job_id)) as again:
                assert json.loads(await again.recv())["type"] == "job_queued"
        # So does an MCP tool call, for as long as its job runs (queued here: it stays open).
        async with (
            httpx.AsyncClient(base_url=api_b, timeout=30) as http_b,
            AsyncExitStack() as sockets,
        ):
            call = {"name": "chatty", "arguments": {"count": 1}}
            running = await sockets.enter_async_context(
                http_b.stream("POST", "/mcp", json=_rpc("tools/call", call))
            )
            assert running.status_code == 200
            for _ in range(SOCKET_CAP - 1):
                await sockets.enter_async_context(connect(ws_url(api_a, job_id)))
            listed = await http_b.post("/mcp", json=_rpc("tools/list", {}))
            assert listed.status_code == 429, listed.text
            assert f"the limit is {SOCKET_CAP}" in listed.json()["detail"]
            await running.aclose()
            async with await _admitted(_fastagency_url(api_b)):
                pass


async def test_starts_past_the_create_rate_are_refused_across_processes_with_retry_after(
    isolated_db: str, tmp_path: Path
) -> None:
    env = {"AGENTJOBS_CREATE_RATE_PER_USER": f"{RATE}/min"}
    with two_apis(isolated_db, tmp_path, **env) as (api_a, api_b):
        async with (
            httpx.AsyncClient(base_url=api_a, timeout=30) as http_a,
            httpx.AsyncClient(base_url=api_b, timeout=30) as http_b,
        ):
            body = {"workflow": "chatty", "params": {"count": 1}}
            answers = [await http.post("/jobs", json=body) for http in (http_a, http_b, http_a)]
            assert [a.status_code for a in answers] == [202] * RATE
            # The burst is spent on both processes: the next start anywhere waits its turn.
            for http in (http_b, http_a):
                refused = await http.post("/jobs", json=body)
                assert refused.status_code == 429, refused.text
                retry_after = int(refused.headers["Retry-After"])
                assert 1 <= retry_after <= 60 // RATE
                assert f"faster than {RATE} per minute" in refused.json()["detail"]
            # FastAgency's initiate (which starts nothing) says so before its socket would.
            initiate = {"workflow_name": "chatty", "workflow_uuid": "x", "user_id": "u"}
            refused = await http_b.post(
                "/fastagency/initiate_workflow", json={**initiate, "params": {"count": 1}}
            )
            assert refused.status_code == 429, refused.text
            assert "Retry-After" in refused.headers
            # Nothing was queued by the refused starts.
            jobs = (await http_a.get("/jobs")).json()
            assert jobs["total"] == RATE
