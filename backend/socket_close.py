"""Closing a job socket without letting a client that stopped reading hold the close."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect


async def close_within(websocket: WebSocket, code: int, reason: str, timeout: float) -> None:
    """Close a socket, giving up after ``timeout`` seconds.

    Closing waits for buffer space like any send, so a client that stopped reading would
    otherwise hold the close forever.
    """
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
        async with asyncio.timeout(timeout):
            await websocket.close(code, reason)
