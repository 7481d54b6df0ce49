"""Small real-client helpers for integration tests: start jobs, read a job's WebSocket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from agentjobs.protocol import TERMINAL_TYPES

Frame = dict[str, Any]


async def start_job(http: httpx.AsyncClient, workflow: str, **params: Any) -> str:
    """POST /jobs and return the new job id (asserting 202)."""
    response = await http.post("/jobs", json={"workflow": workflow, "params": params})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


async def logged_ids(http: httpx.AsyncClient, job_id: str) -> list[str]:
    """Every event id in the job's log, read over HTTP page by page."""
    ids: list[str] = []
    after: str | None = "0"
    while after is not None:
        page = (await http.get(f"/jobs/{job_id}/events", params={"after": after})).json()
        ids += [e["id"] for e in page["events"]]
        after = page["next_after"]
    return ids


def ws_url(api_url: str, job_id: str, after: str = "0") -> str:
    """The job's WebSocket URL."""
    return f"ws://{api_url.removeprefix('http://')}/jobs/{job_id}/ws?after={after}"


class JobSocket:
    """A connected job WebSocket that keeps every frame it received."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.frames: list[Frame] = []

    async def next(self, timeout: float = 15) -> Frame:
        """The next frame (an event or a server frame)."""
        frame: Frame = json.loads(await asyncio.wait_for(self.conn.recv(decode=True), timeout))
        self.frames.append(frame)
        return frame

    async def until(self, *types: str) -> Frame:
        """Read frames until one whose type is in ``types``; returns it."""
        while True:
            frame = await self.next()
            if frame["type"] in types:
                return frame

    async def until_end(self) -> Frame:
        """Read until the terminal event; returns it."""
        return await self.until(*TERMINAL_TYPES)

    async def send(self, frame: Frame | str) -> None:
        """Send a frame (a dict as JSON, or raw text)."""
        await self.conn.send(frame if isinstance(frame, str) else json.dumps(frame))

    @property
    def events(self) -> list[Frame]:
        """Received frames that are job events (they carry an id)."""
        return [f for f in self.frames if "id" in f]


@asynccontextmanager
async def job_socket(
    api_url: str, job_id: str, after: str = "0", token: str | None = None
) -> AsyncIterator[JobSocket]:
    """Open a job's WebSocket for the block (with a bearer ``token`` when given)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with connect(
        ws_url(api_url, job_id, after), additional_headers=headers, open_timeout=10
    ) as conn:
        yield JobSocket(conn)
