"""``WS /inbox/ws``: the caller's inbox count, sent at once and again whenever it changes.

The scripts that list and unlist requests nudge the user's channel (``keys.user_inbox_live``);
each nudge makes the socket read the count again (``ZCARD``), and so does every quiet
``RESYNC_SECONDS``: a nudge lost while the subscription reconnected costs at most that long.
Two loops side by side (read the client / send counts); the first to end cancels the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from starlette.websockets import WebSocket, WebSocketDisconnect

from agentjobs import keys
from backend.inbox import inbox_count

RESYNC_SECONDS = 30.0
"""The longest a socket goes without reading the count again."""
SEND_TIMEOUT_SECONDS = 10.0
"""A client that does not take a count this long has stopped reading: the socket closes."""


async def follow_inbox(websocket: WebSocket, redis: Redis, user: str) -> None:
    """Send ``{"type": "inbox", "count": n}`` now and on every change until the client leaves."""
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.user_inbox_live(user))
    try:
        # The confirmation first: a change after it is nudged, one before it is in the count.
        await pubsub.get_message(timeout=5.0)
        pump = asyncio.ensure_future(_send_counts(websocket, redis, pubsub, user))
        reader = asyncio.ensure_future(_drain(websocket))
        done, pending = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await task
        for task in done:
            with contextlib.suppress(WebSocketDisconnect):
                task.result()
    finally:
        with contextlib.suppress(Exception):  # the connection may already be gone
            await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _send_counts(websocket: WebSocket, redis: Redis, pubsub: PubSub, user: str) -> None:
    last: int | None = None
    while True:
        count = await inbox_count(redis, user)
        if count != last:
            frame = json.dumps({"type": "inbox", "count": count})
            await asyncio.wait_for(websocket.send_text(frame), SEND_TIMEOUT_SECONDS)
            last = count
        await pubsub.get_message(ignore_subscribe_messages=True, timeout=RESYNC_SECONDS)


async def _drain(websocket: WebSocket) -> None:
    # Clients send nothing this socket needs; reading is how a disconnect is noticed.
    while True:
        await websocket.receive_text()
