"""Client-side helpers: an event loop, HTTP and WebSocket connections, event timestamps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Coroutine, Iterable
from datetime import datetime
from typing import Any, TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect

from agentjobs.gc_tuning import freeze_startup_objects
from agentjobs.protocol import TERMINAL_TYPES
from tests.support.client import start_job, ws_url

__all__ = [
    "Frame",
    "gather_limited",
    "http_client",
    "is_terminal",
    "read_until",
    "run",
    "start_job",
    "ts_of",
]

T = TypeVar("T")
Frame = dict[str, Any]


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when installed: the client shares two cores with the servers,
    so the less CPU it spends per frame, the less it distorts what it measures. The client's
    own startup objects are frozen as the servers' are, so its collector's pauses do not count
    as relay latency (``agentjobs.gc_tuning``)."""
    freeze_startup_objects()
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def http_client(api_url: str, connections: int = 100) -> httpx.AsyncClient:
    """An HTTP client for the API, keeping up to ``connections`` connections alive."""
    # Idle connections expire before uvicorn's 5 s keep-alive timeout closes them: a request sent
    # on a connection the server is closing at that moment fails with ReadError.
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2
    )
    return httpx.AsyncClient(base_url=api_url, timeout=60, limits=limits)


def job_ws(api_url: str, job_id: str, after: str = "0") -> connect:
    """A WebSocket connection to the job (use as ``async with``)."""
    return connect(ws_url(api_url, job_id, after), open_timeout=60, close_timeout=5)


async def read_until(conn: ClientConnection, *types: str, timeout: float = 60) -> Frame:
    """Read frames until one of ``types`` (or a terminal event when none are given)."""
    wanted = types or TERMINAL_TYPES
    while True:
        frame: Frame = json.loads(await asyncio.wait_for(conn.recv(), timeout))
        if frame["type"] in wanted:
            return frame


_TERMINAL_MARKS = tuple(f'"type":"{kind}"' for kind in TERMINAL_TYPES)


def is_terminal(raw: str) -> bool:
    """True when a raw event frame is a terminal event (checked without parsing it)."""
    return any(mark in raw for mark in _TERMINAL_MARKS)


def ts_of(frame: Frame) -> float:
    """An event's ``ts`` (taken by the worker when it made the event) as epoch seconds."""
    return datetime.fromisoformat(frame["ts"]).timestamp()


async def gather_limited(calls: Iterable[Awaitable[T]], limit: int) -> list[T]:
    """Await every call, at most ``limit`` at once, keeping their order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(call) for call in calls))
