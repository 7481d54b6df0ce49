"""One job WebSocket: replay the log after a cursor, relay live events, take client frames.

Two loops run side by side (pump events / read frames); the first to end cancels the other.
The socket subscribes before it replays, and drops live events it has already sent, so nothing
is lost or doubled between replay and live.

How a socket ends (the client resumes from its last cursor after any but 1000 and 1009):
1000 the job finished; 1009 a frame over ``max_frame_bytes``; 1011 the job store failed;
1013 the client stopped reading (a send waited past ``socket_send_timeout_seconds``);
4410 its cursor is older than the oldest event kept (the log was trimmed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import ValidationError
from redis.exceptions import RedisError
from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect

from agentjobs.logging_setup import job_context
from agentjobs.protocol import (
    CLIENT_FRAME_ADAPTER,
    CancelFrame,
    InputFrame,
    PongFrame,
    ProtocolErrorFrame,
    cursor_key,
)
from backend import metrics
from backend.answers import AnswerRejected, submit_answer
from backend.relay import RESYNC, Subscription
from backend.services import Services
from backend.store import CursorTooOld, StoredEvent

log = logging.getLogger(__name__)

STORE_UNAVAILABLE = "job store unavailable: reconnect with your last cursor"
TOO_SLOW = "you stopped reading and your buffer is full: reconnect with after=<your last cursor>"
WS_4410_CURSOR_TOO_OLD = 4410
"""Close code (like HTTP 410 Gone): the events after the client's cursor were trimmed."""
_CATCH_UP_PAGE = 500
"""Events read from the log at once while catching up: a long log is not held in memory whole."""


class SlowClient(Exception):
    """A send to the client did not complete in time: it stopped reading."""


class FrameTooLarge(Exception):
    """The client sent a frame over the size limit."""


def cursor_too_old_detail(exc: CursorTooOld) -> str:
    """The error text for a cursor older than the log (also a WebSocket close reason: short)."""
    return f"cursor too old: events after it were trimmed; resume after {exc.resume_after}"


class SocketSession:
    """The life of one accepted job WebSocket."""

    def __init__(self, websocket: WebSocket, services: Services, user: str, job_id: str) -> None:
        self.websocket = websocket
        self.services = services
        self.user = user
        self.job_id = job_id
        self._last = "0"
        self._send_lock = asyncio.Lock()
        self._send_timeout = services.settings.socket_send_timeout_seconds

    async def run(self, after: str) -> None:
        """Serve the socket until the job ends (close 1000) or the client leaves."""
        with (
            job_context(job_id=self.job_id, user=self.user),
            metrics.WEBSOCKETS_OPEN.track_inprogress(),
        ):
            await self._serve(after)

    async def _serve(self, after: str) -> None:
        self._last = after
        pump = asyncio.create_task(self._pump())
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
            return  # the client left
        code, reason = self._close_code(error)
        await close_within(self.websocket, code, reason, self._send_timeout)

    def _close_code(self, error: BaseException | None) -> tuple[int, str]:
        """The close code and reason for how the socket's work ended."""
        if error is None:
            return status.WS_1000_NORMAL_CLOSURE, "job finished"
        if isinstance(error, SlowClient):
            log.warning("job %s: closing a socket whose client stopped reading", self.job_id)
            return status.WS_1013_TRY_AGAIN_LATER, TOO_SLOW
        if isinstance(error, FrameTooLarge):
            return status.WS_1009_MESSAGE_TOO_BIG, str(error)
        if isinstance(error, CursorTooOld):
            return WS_4410_CURSOR_TOO_OLD, cursor_too_old_detail(error)
        # 1011, not 1000: the job did not end, the client should resume from its cursor.
        log.warning("job %s: socket relay failed: %r", self.job_id, error)
        return status.WS_1011_INTERNAL_ERROR, STORE_UNAVAILABLE

    async def _pump(self) -> None:
        async with self.services.relay.subscribe(self.job_id) as sub:
            if await self._catch_up():
                return
            await self._forward_live(sub)

    async def _catch_up(self) -> bool:
        """Send every logged event after the last one sent; True once the terminal one is sent."""
        sent_any = False
        while True:
            events = await self.services.store.read_events(self.job_id, self._last, _CATCH_UP_PAGE)
            for event in events:
                if await self._send_event(event):
                    return True
            sent_any = sent_any or bool(events)
            if len(events) < _CATCH_UP_PAGE:
                break
        if not sent_any:
            # The log may have expired under a finished job: never wait forever on it.
            record = await self.services.store.get(self.job_id)
            return record is None or record.status.is_terminal
        return False

    async def _forward_live(self, sub: Subscription) -> None:
        while True:
            event = await sub.get()
            if event is RESYNC:
                if await self._catch_up():
                    return
            elif cursor_key(event.id) > cursor_key(self._last) and await self._send_event(event):
                return

    async def _send_event(self, event: StoredEvent) -> bool:
        await self._send(event.json)
        metrics.EVENTS_RELAYED.inc()
        self._last = event.id
        return event.is_terminal

    async def _send_frame(self, frame: ProtocolErrorFrame | PongFrame) -> None:
        await self._send(frame.model_dump_json())

    async def _send(self, text: str) -> None:
        """Send one frame, or raise ``SlowClient`` when the client does not take it in time.

        The server only waits while its write buffer for this socket is full, so a wait this
        long means the client stopped reading; cancelling it leaves no partial frame behind.
        """
        try:
            async with asyncio.timeout(self._send_timeout), self._send_lock:
                await self.websocket.send_text(text)
        except TimeoutError:
            raise SlowClient from None

    async def _read_frames(self) -> None:
        limit = self.services.settings.max_frame_bytes
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            size = len(text.encode()) if text is not None else len(message.get("bytes") or b"")
            if size > limit:
                raise FrameTooLarge(f"frame of {size} bytes is larger than the limit of {limit}")
            if text is None:
                await self._refuse("binary frames are not supported: send JSON text")
                continue
            try:
                frame = CLIENT_FRAME_ADAPTER.validate_json(text)
            except ValidationError as exc:
                await self._refuse(_describe(exc))
                continue
            try:
                await self._handle(frame)
            except (RedisError, OSError):
                await self._refuse("the job store is unavailable right now: send it again shortly")

    async def _handle(self, frame: InputFrame | CancelFrame | object) -> None:
        if isinstance(frame, InputFrame):
            record = await self.services.store.get(self.job_id)
            if record is None:
                await self._refuse(f"job {self.job_id!r} not found")
                return
            try:
                await submit_answer(
                    self.services.store,
                    record,
                    frame.request_id,
                    frame.value,
                    self.services.settings.max_answer_bytes,
                )
            except AnswerRejected as exc:
                await self._refuse(exc.detail)
        elif isinstance(frame, CancelFrame):
            await self.services.store.cancel(self.job_id, by=self.user)
        else:
            await self._send_frame(PongFrame())

    async def _refuse(self, detail: str) -> None:
        await self._send_frame(ProtocolErrorFrame(detail=detail))


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"invalid frame: {where}: {first['msg']}" if where else f"invalid frame: {first['msg']}"


async def close_within(websocket: WebSocket, code: int, reason: str, timeout: float) -> None:
    """Close a socket, giving up after ``timeout`` seconds.

    Closing waits for buffer space like any send, so a client that stopped reading would
    otherwise hold the close forever.
    """
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
        async with asyncio.timeout(timeout):
            await websocket.close(code, reason)
