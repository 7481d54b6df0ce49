"""A job's events over its WebSocket, reconnecting from the last cursor until the terminal one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Self

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.job_socket import connect_socket, parse_frame
from agentjobs.protocol import (
    HTTP_410_CURSOR_TOO_OLD,
    TERMINAL_TYPES,
    WS_4410_CURSOR_TOO_OLD,
    Event,
    JobRecord,
    is_after,
    resume_after_from,
)

log = logging.getLogger(__name__)

RetryHook = Callable[[BaseException, float], None]
"""Told each time the stream lost its connection: the cause and the delay before retrying."""

FIRST_DELAY = 0.1
NORMAL_CLOSURE = 1000
POLICY_VIOLATION = 1008


class _Reconnect(Exception):
    """The socket ended before the terminal event: connect again from the cursor."""


class EventStream:
    """Follows one job: each event once, in order, across any number of reconnects.

    An async iterator (not an async generator) so that leaving an ``async for`` early needs no
    care: the open socket is closed by ``aclose()`` / ``async with``, or dropped with the
    object, and there is no generator for the event loop to finalise at shutdown.
    """

    def __init__(
        self,
        base_url: str,
        job_id: str,
        after: str,
        *,
        token: str | None,
        timeout: float,
        max_backoff: float,
        get_job: Callable[[str], Awaitable[JobRecord]],
        on_retry: RetryHook | None = None,
    ) -> None:
        self.base_url = base_url
        self.job_id = job_id
        self.token = token
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.get_job = get_job
        self.on_retry = on_retry
        self._cursor = after
        self._conn: ClientConnection | None = None
        self._done = False
        self._delay = FIRST_DELAY

    @property
    def cursor(self) -> str:
        """The id of the last event yielded (where a new stream would resume)."""
        return self._cursor

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Event:
        while not self._done:
            try:
                event = await self._next_from_socket()
            except ApiError as exc:
                if exc.status_code < 500:
                    await self.aclose()
                    raise  # 401, 403, 404, 422: retrying cannot help
                await self._retry(exc)
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == WS_4410_CURSOR_TOO_OLD:
                    await self.aclose()
                    raise _cursor_too_old(exc.rcvd.reason, self.job_id) from exc
                await self._retry(exc)
            except (ApiUnreachable, _Reconnect, OSError) as exc:
                await self._retry(exc)
            else:
                if event is not None:
                    return event
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop following: close the socket; the iterator is exhausted from now on."""
        self._done = True
        await self._drop_socket()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def _next_from_socket(self) -> Event | None:
        """The next event not yielded yet; None when the socket ended with the job."""
        if self._conn is None:
            self._conn = await connect_socket(
                self.base_url, self.job_id, self._cursor, self.token, self.timeout
            )
        while True:
            try:
                raw = await self._conn.recv()
            except ConnectionClosedOK:
                conn, self._conn = self._conn, None
                self._done = await self._ended_for_good(conn)
                return None
            event = parse_frame(raw)
            if event is None or not is_after(event.id, self._cursor):
                continue  # a server frame, or an event this stream already yielded
            self._cursor = event.id
            self._delay = FIRST_DELAY  # progress was made: the next outage starts afresh
            if event.type in TERMINAL_TYPES:
                await self.aclose()
            return event

    async def _ended_for_good(self, conn: ClientConnection) -> bool:
        """The server closed without a terminal event: True if the job is over and fully read."""
        if conn.close_code == POLICY_VIOLATION:
            raise ApiError(403, conn.close_reason or "refused by the server", "WS", self.job_id)
        if conn.close_code == NORMAL_CLOSURE:
            # The server closes 1000 early only when the job is over and its log has nothing
            # after the cursor (it expired); make sure before giving up on the job.
            record = await self.get_job(self.job_id)
            if record.status.is_terminal:
                return True
        raise _Reconnect(f"socket closed ({conn.close_code}) before the job ended")

    async def _retry(self, exc: BaseException) -> None:
        await self._drop_socket()
        # Jitter spreads the reconnects of many clients after an API restart.
        wait = self._delay * (0.5 + random.random() / 2)
        log.warning("job %s: connection lost (%s); retrying in %.2fs", self.job_id, exc, wait)
        if self.on_retry is not None:
            self.on_retry(exc, wait)
        await asyncio.sleep(wait)
        self._delay = min(self._delay * 2, self.max_backoff)

    async def _drop_socket(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(ConnectionClosed, OSError):
                await conn.close()


def _cursor_too_old(reason: str, job_id: str) -> ApiError:
    """The 410 a trimmed log means (close 4410); ``resume_after`` is where reading can go on."""
    body = {"detail": reason, "resume_after": resume_after_from(reason)}
    return ApiError(HTTP_410_CURSOR_TOO_OLD, reason, "WS", f"/jobs/{job_id}/ws", body)
