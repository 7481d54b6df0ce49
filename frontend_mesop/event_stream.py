"""A job's events over its WebSocket, reconnecting from the last cursor until the terminal one."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from backend.protocol import TERMINAL_TYPES, Event, JobRecord
from frontend_mesop.errors import ApiError, ApiUnreachable
from frontend_mesop.job_socket import open_socket, parse_frame

log = logging.getLogger(__name__)

RetryHook = Callable[[BaseException, float], None]
"""Told each time the stream lost its connection: the cause and the delay before retrying."""

FIRST_DELAY = 0.1
NORMAL_CLOSURE = 1000
POLICY_VIOLATION = 1008


def cursor_key(cursor: str) -> tuple[int, int]:
    """A stream id as a comparable (milliseconds, sequence) pair; ``"0"`` sorts first."""
    ms, _, seq = cursor.partition("-")
    return int(ms), int(seq or 0)


class _Reconnect(Exception):
    """The socket ended before the terminal event: connect again from the cursor."""


@dataclass
class EventStream:
    """Follows one job: yields each event once, in order, across any number of reconnects."""

    base_url: str
    job_id: str
    token: str | None
    timeout: float
    max_backoff: float
    get_job: Callable[[str], Awaitable[JobRecord]]
    on_retry: RetryHook | None = None

    async def follow(self, after: str) -> AsyncIterator[Event]:
        """Yield the events after ``after`` until the terminal one; retry lost connections."""
        self._cursor = after
        self._done = False
        delay = FIRST_DELAY
        while True:
            try:
                async with open_socket(
                    self.base_url, self.job_id, self._cursor, self.token, self.timeout
                ) as conn:
                    async for event in self._read(conn):
                        delay = FIRST_DELAY  # progress was made: the next outage starts afresh
                        yield event
                    if self._done or await self._ended_for_good(conn):
                        return
            except ApiError as exc:
                if exc.status_code < 500:
                    raise  # 401, 403, 404, 422: retrying cannot help
                await self._pause(exc, delay)
            except (ApiUnreachable, ConnectionClosed, _Reconnect, OSError) as exc:
                await self._pause(exc, delay)
            delay = min(delay * 2, self.max_backoff)

    async def _read(self, conn: ClientConnection) -> AsyncIterator[Event]:
        async for raw in conn:
            event = parse_frame(raw)
            if event is None or cursor_key(event.id) <= cursor_key(self._cursor):
                continue  # a server frame, or an event this stream already yielded
            self._cursor = event.id
            self._done = event.type in TERMINAL_TYPES
            yield event
            if self._done:
                return

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

    async def _pause(self, exc: BaseException, delay: float) -> None:
        # Jitter spreads the reconnects of many clients after an API restart.
        wait = delay * (0.5 + random.random() / 2)
        log.warning("job %s: connection lost (%s); retrying in %.2fs", self.job_id, exc, wait)
        if self.on_retry is not None:
            self.on_retry(exc, wait)
        await asyncio.sleep(wait)
