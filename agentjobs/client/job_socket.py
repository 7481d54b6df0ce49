"""One connection to a job's WebSocket: the URL, the auth headers, handshake errors, frames."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.protocol import EVENT_ADAPTER, Event

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 16 * 1024 * 1024
"""Largest event frame accepted (a job result can be large; websockets' default is 1 MiB)."""
CLOSE_TIMEOUT = 1.0
"""Seconds to wait for the server's side of a close handshake before dropping the connection.

A consumer that stops early leaves unread frames: past websockets' ``max_queue`` the client stops
reading, never sees the server's close frame, and would wait the full timeout (10 s by default)
on every early exit (python-websockets/websockets#1555).
"""
SERVER_FRAMES = frozenset({"protocol_error", "pong"})
"""Frames the server sends that are not job events."""


def ws_url(base_url: str, job_id: str, after: str, token: str | None) -> str:
    """The job's WebSocket URL (``ws``/``wss`` from ``http``/``https``), cursor and token."""
    scheme, rest = base_url.split("://", 1)
    query = {"after": after} | ({"token": token} if token else {})
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest}/jobs/{quote(job_id, safe='')}/ws?{urlencode(query)}"


def auth_headers(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header for ``token`` (none without a token)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


async def connect_socket(
    base_url: str, job_id: str, after: str, token: str | None, timeout: float
) -> ClientConnection:
    """Connect to the job's socket (a refusal raises ``ApiError``, silence ``ApiUnreachable``)."""
    url = ws_url(base_url, job_id, after, token)
    try:
        return await connect(
            url,
            additional_headers=auth_headers(token),
            open_timeout=timeout,
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_FRAME_BYTES,
        )
    except InvalidStatus as exc:
        response = exc.response
        raise ApiError(
            response.status_code, _body_detail(response.body), "WS", f"/jobs/{job_id}/ws"
        ) from exc
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise ApiUnreachable(base_url, exc) from exc


@asynccontextmanager
async def open_socket(
    base_url: str, job_id: str, after: str, token: str | None, timeout: float
) -> AsyncIterator[ClientConnection]:
    """``connect_socket`` for the duration of a block."""
    conn = await connect_socket(base_url, job_id, after, token, timeout)
    async with conn:
        yield conn


def parse_frame(raw: str | bytes) -> Event | None:
    """The job event in a server frame, or None for a server frame that is not an event."""
    data: Any = json.loads(raw)
    kind = data.get("type") if isinstance(data, dict) else None
    if kind in SERVER_FRAMES:
        # Nothing this client sends should be refused; a refusal is worth a line in the log.
        log.log(logging.WARNING if kind == "protocol_error" else logging.DEBUG, "server: %s", data)
        return None
    try:
        return EVENT_ADAPTER.validate_python(data)
    except ValidationError:
        log.exception("unparseable event frame: %.200s", raw)
        raise


def _body_detail(body: bytes | bytearray | None) -> Any:
    if not body:
        return "WebSocket handshake refused"
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")
    return data.get("detail", data) if isinstance(data, dict) else data
