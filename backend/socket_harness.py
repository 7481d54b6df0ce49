"""What every job WebSocket shares: the handshake, the two-loop relay, bounded sends, how it ends.

A socket following a job subscribes to the live relay, then replays the log after its cursor
(with the chunks of a message still being generated merged in by cursor, ``read_page``), then
forwards live events newer than the last one sent, so nothing is lost or doubled between
replay and live. Two loops run side by side (pump events / read client frames); the first to
end cancels the other. Each kind of socket (``backend.socket_session`` for agentjobs frames,
``backend.fastagency.relay`` for FastAgency's) supplies only how it encodes an event and what
it does with a client frame.

How a socket ends (a client may resume from its last cursor after any but 1000 and 1009):
1000 the job finished; 1009 a frame over ``max_frame_bytes`` (where the socket refuses them
so); 1011 the job store failed; 1013 the client stopped reading (a send waited past
``socket_send_timeout_seconds``); 4410 its cursor is older than the oldest event kept.
The job never ends with its socket: a client that leaves just stops watching.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from redis.exceptions import RedisError
from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect

from agentjobs.logging_setup import job_context
from agentjobs.protocol import START, WS_4410_CURSOR_TOO_OLD, cursor_too_old_reason, is_after
from backend import metrics
from backend.event_log import CursorTooOld, StoredEvent, read_page
from backend.memory_release import release_freed_memory_soon
from backend.relay import RESYNC, Subscription
from backend.services import Services
from backend.socket_close import close_within

log = logging.getLogger(__name__)

T = TypeVar("T")

CATCH_UP_PAGE = 500
"""Most events read from the log at once while catching up (``catchup_page_bytes`` bounds the
bytes): a long log is never held in memory whole, and a socket holds one page at a time."""


class SlowClient(Exception):
    """A send to the client did not complete in time: it stopped reading."""


class FrameTooLarge(Exception):
    """The client sent a frame over the size limit (and the socket closes for it)."""


@dataclass(frozen=True)
class CloseReasons:
    """The words a kind of socket closes with, in its clients' terms."""

    finished: str
    """1000: the job reached its terminal event."""
    too_slow: str
    """1013: the client stopped reading."""
    store_failed: str
    """1011: the job store failed; the job did not end."""


class SocketHarness(ABC):
    """The life of one accepted job WebSocket; subclasses encode events and read client frames."""

    reasons: ClassVar[CloseReasons]
    keep_alive_seconds: float | None = None
    """Send ``keep_alive()`` after this long without a frame (None: never)."""

    def __init__(self, websocket: WebSocket, services: Services, user: str, job_id: str) -> None:
        self.websocket = websocket
        self.services = services
        self.user = user
        self.job_id = job_id
        self._last = START
        self._send_lock = asyncio.Lock()
        self._send_timeout = services.settings.socket_send_timeout_seconds
        self._last_sent = asyncio.get_running_loop().time()

    @abstractmethod
    def encode(self, event: StoredEvent) -> Iterable[str]:
        """The text frames that show ``event`` to this socket's client (maybe none)."""

    @abstractmethod
    async def on_frame(self, text: str | None, data: bytes | None) -> None:
        """Act on one client frame within the size limit (``text``, or binary ``data``)."""

    async def on_oversized(self, size: int, limit: int) -> None:
        """A client frame over ``max_frame_bytes``: close with 1009 unless a subclass refuses it."""
        raise FrameTooLarge(f"frame of {size} bytes is larger than the limit of {limit}")

    @abstractmethod
    async def on_store_error(self) -> None:
        """The job store failed while acting on a client frame: tell the client to resend."""

    async def keep_alive(self) -> None:
        """Show an idle client the socket is alive (only with ``keep_alive_seconds``)."""
        raise NotImplementedError("a socket with keep_alive_seconds sends its own keep-alive")

    async def run(self, after: str = START, born_watched: Subscription | None = None) -> None:
        """Serve the socket until the job ends (close 1000) or the client leaves.

        ``born_watched``: a subscription to the job made before the job was created, so every
        event of it comes live and there is no log to replay first (one read and a page of
        parsing fewer; the page could only repeat what comes live).
        """
        try:
            await self._serve(after, born_watched)
        finally:
            # After the close: what the socket held (a page of events, send buffers) is free.
            release_freed_memory_soon()

    async def _serve(self, after: str, born_watched: Subscription | None) -> None:
        with (
            job_context(job_id=self.job_id, user=self.user),
            metrics.WEBSOCKETS_OPEN.track_inprogress(),
        ):
            self._last = after
            pump = asyncio.create_task(self._pump(born_watched))
            reader = asyncio.create_task(self._read_frames())
            try:
                done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, reader):
                    task.cancel()
                await asyncio.gather(pump, reader, return_exceptions=True)
            ended = pump if pump in done else reader
            error = ended.exception()
            if isinstance(error, WebSocketDisconnect) or (ended is reader and error is None):
                log.info("job %s: the client left; the job goes on", self.job_id)
                return
            code, reason = self._close_code(error)
            await close_within(self.websocket, code, reason, self._send_timeout)

    def _close_code(self, error: BaseException | None) -> tuple[int, str]:
        """The close code and reason for how the socket's work ended."""
        if error is None:
            return status.WS_1000_NORMAL_CLOSURE, self.reasons.finished
        if isinstance(error, SlowClient):
            log.warning("job %s: closing a socket whose client stopped reading", self.job_id)
            return status.WS_1013_TRY_AGAIN_LATER, self.reasons.too_slow
        if isinstance(error, FrameTooLarge):
            return status.WS_1009_MESSAGE_TOO_BIG, str(error)
        if isinstance(error, CursorTooOld):
            return WS_4410_CURSOR_TOO_OLD, cursor_too_old_reason(error.resume_after)
        # 1011, not 1000: the job did not end, the client should resume from its cursor.
        log.warning("job %s: socket relay failed: %r", self.job_id, error)
        return status.WS_1011_INTERNAL_ERROR, self.reasons.store_failed

    async def opening(self) -> None:
        """Frames the socket sends before the job's own (none by default)."""
        return None

    async def _pump(self, born_watched: Subscription | None) -> None:
        await self.opening()
        subscribed = (
            contextlib.nullcontext(born_watched)
            if born_watched is not None
            else self.services.relay.subscribe(self.job_id)
        )
        async with subscribed as sub:
            if born_watched is None and await self._catch_up():
                return
            while True:
                if await self._send_live([await self._next_live(sub), *sub.take_queued()]):
                    return

    async def _send_live(self, events: list[StoredEvent | None]) -> bool:
        """Send live events that came together (the rest of a worker's batch, what came while
        the last were sent); at a ``RESYNC`` among them, catch up from the log. True once the
        job ended."""
        together: list[StoredEvent] = []
        for event in events:
            if event is RESYNC:
                if await self._send_together(together) or await self._catch_up():
                    return True
                together = []
            else:
                together.append(event)
        return await self._send_together(together)

    async def _send_together(self, events: list[StoredEvent]) -> bool:
        """Send them under one deadline (a timer per frame cost more than it); True at the end."""
        return bool(events) and await self._within_deadline(self._send_unsent(events))

    async def _send_unsent(self, events: list[StoredEvent]) -> bool:
        """Send those after the last one sent; True once one ended the job."""
        for event in events:
            if is_after(event.id, self._last) and await self._send_event(event):
                return True
        return False

    async def _catch_up(self) -> bool:
        """Send every logged event after the last one sent; True once nothing more will come."""
        # Read before the log: a job already over then has its terminal event in what follows
        # (one script writes both), so a log without one after the cursor (expired, or the
        # cursor is at the end) will never send another; read after, it could race the end.
        record = await self.services.store.get(self.job_id)
        while True:
            ended, more = await self._send_page()
            if ended:
                return True
            if not more:
                return record is None or record.status.is_terminal

    async def _send_page(self) -> tuple[bool, bool]:
        """Send one page of the log after the last event sent: (the job ended, more follow).

        A method of its own so the page is let go before the next is read: a client that
        stops reading holds one page here (at most ``catchup_page_bytes``) until it times out.
        """
        page = await read_page(
            self.services.redis,
            self.job_id,
            self._last,
            CATCH_UP_PAGE,
            self.services.settings.catchup_page_bytes,
        )
        for event in page.events:
            if await self._within_deadline(self._send_event(event)):
                return True, False
        return False, page.more

    async def _next_live(self, sub: Subscription) -> StoredEvent | None:
        """The next live event (or ``RESYNC``), sending keep-alives while none comes."""
        interval = self.keep_alive_seconds
        if interval is None or sub.pending:  # a batch's next event: no keep-alive timer to arm
            return await sub.get()
        loop = asyncio.get_running_loop()
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow a cancellation
                # that races the result, and this task would outlive its socket.
                async with asyncio.timeout(max(self._last_sent + interval - loop.time(), 0.0)):
                    return await sub.get()
            except TimeoutError:
                await self.keep_alive()

    async def _send_event(self, event: StoredEvent) -> bool:
        """Send the event's frames (within the caller's deadline); True for the job's end."""
        for text in self.encode(event):
            await self._send_now(text)
        metrics.EVENTS_RELAYED.inc()
        self._last = event.id
        return event.is_terminal

    async def send(self, text: str) -> None:
        """Send one frame, or raise ``SlowClient`` when the client does not take it in time."""
        await self._within_deadline(self._send_now(text))

    async def _send_now(self, text: str) -> None:
        async with self._send_lock:
            await self.websocket.send_text(text)
        self._last_sent = asyncio.get_running_loop().time()

    async def _within_deadline(self, sending: Awaitable[T]) -> T:
        """``sending``'s result, or ``SlowClient`` when it took over the send timeout.

        The server only waits while its write buffer for this socket is full, so a wait this
        long means the client stopped reading; cancelling it leaves no partial frame behind.
        """
        try:
            async with asyncio.timeout(self._send_timeout):
                result = await sending
        except TimeoutError:
            timed_out = True
        else:
            timed_out = False
        if timed_out:
            # Raised outside the except clause: chained to the TimeoutError, the error would
            # reach the timeout, which holds this task, which holds the error: a cycle that
            # kept every frame (and the page of events being sent) until a full collection.
            raise SlowClient
        return result

    async def _read_frames(self) -> None:
        limit = self.services.settings.max_frame_bytes
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text, data = message.get("text"), message.get("bytes")
            size = len(text.encode()) if text is not None else len(data or b"")
            if size > limit:
                await self.on_oversized(size, limit)
                continue
            try:
                await self.on_frame(text, data)
            except (RedisError, OSError):
                await self.on_store_error()
