"""The FastAgency wire facts as the tests state them, and a raw WebSocket client speaking them.

Written from FASTAGENCY_WIRE.md, not from ``backend.fastagency``: the tests check the server
against the protocol, not against itself.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]

ENVELOPE_KEYS = {"workflow_uuid", "sender", "recipient", "auto_reply", "uuid", "content", "type"}
CONTENT_KEYS: dict[str, set[str]] = {
    "workflow_started": {"name", "description", "params"},
    "text_message": {"body"},
    "text_input": {"prompt", "suggestions", "password"},
    "multiple_choice": {"prompt", "choices", "default", "single"},
    "suggested_function_call": {"function_name", "call_id", "arguments"},
    "function_call_execution": {"function_name", "call_id", "retval"},
    "system_message": {"message"},
    "error": {"short", "long"},
    "workflow_completed": {"result"},
    "keep_alive": set(),
}
"""The ten frame types and exactly the content keys of each."""


def assert_frame_shape(frame: Frame) -> None:
    """Fail unless ``frame`` has exactly the protocol's keys for its type."""
    assert set(frame) == ENVELOPE_KEYS, frame
    assert frame["type"] in CONTENT_KEYS, frame
    assert set(frame["content"]) == CONTENT_KEYS[frame["type"]], frame
    assert isinstance(frame["auto_reply"], bool) and isinstance(frame["uuid"], str), frame
    if frame["workflow_uuid"]:  # empty only on the refusal of an unreadable first frame
        uuid.UUID(hex=frame["workflow_uuid"])
    if frame["type"] == "suggested_function_call":
        assert isinstance(frame["content"]["arguments"], dict), frame


def ws_base(api_url: str) -> str:
    """The ``ws://`` form of an ``http://`` base URL."""
    return "ws://" + api_url.removeprefix("http://")


class FastAgencySocket:
    """A FastAgency-protocol connection that keeps (and shape-checks) every frame it received."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.frames: list[Frame] = []

    async def next(self, timeout: float = 20) -> Frame:
        """The next frame, checked against the protocol."""
        frame: Frame = json.loads(await asyncio.wait_for(self.conn.recv(decode=True), timeout))
        assert_frame_shape(frame)
        self.frames.append(frame)
        return frame

    async def until(self, *types: str, timeout: float = 20) -> Frame:
        """Read frames until one of ``types``; returns it."""
        while True:
            frame = await self.next(timeout)
            if frame["type"] in types:
                return frame

    async def answer(self, text: str) -> None:
        """Send a bare-string answer, as FastAgency's client does."""
        await self.conn.send(text)

    async def close_code(self, timeout: float = 20) -> int | None:
        """Read (and keep) frames until the server closes; returns its close code."""
        try:
            while True:
                await self.next(timeout)
        except ConnectionClosed:
            pass
        assert self.conn.close_code is not None
        return self.conn.close_code

    def types(self, *, keep_alive: bool = False) -> list[str]:
        """The types received so far, in order (keep-alives left out unless asked for)."""
        return [f["type"] for f in self.frames if keep_alive or f["type"] != "keep_alive"]

    @property
    def job_id(self) -> str:
        """The routing every frame of this run carries: the agentjobs job id."""
        ids = {str(f["workflow_uuid"]) for f in self.frames}
        assert len(ids) == 1, ids
        return ids.pop()


@asynccontextmanager
async def fastagency_run(
    api_url: str,
    name: str,
    params: dict[str, Any] | None = None,
    *,
    workflow_uuid: str | None = None,
    query: str = "",
) -> AsyncIterator[FastAgencySocket]:
    """Open ``/fastagency/ws`` and send the first frame, as FastAPIProvider does."""
    init = {
        "user_id": "None",
        "workflow_uuid": workflow_uuid or uuid.uuid4().hex,
        "name": name,
        "params": params or {},
    }
    async with connect(f"{ws_base(api_url)}/fastagency/ws{query}", open_timeout=10) as conn:
        await conn.send(json.dumps(init))
        yield FastAgencySocket(conn)
