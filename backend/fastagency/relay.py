"""One FastAgency socket following its job: translated frames out, bare-string answers in.

Like the job WebSocket (``backend.socket_session``) it subscribes to the live relay, replays
the log, and forwards live events newer than the last one sent, so nothing is lost or doubled;
two loops (pump events / read frames) run side by side and the first to end cancels the other.
The run is a job, not the socket's: when the client leaves, the job goes on and stays visible
(and answerable) through the agentjobs API. Everything is async: a waiting run costs one
subscription and two idle tasks here, never a thread.
"""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError
from starlette import status
from starlette.websockets import WebSocket, WebSocketDisconnect

from agentjobs.logging_setup import job_context
from agentjobs.protocol import cursor_key
from backend import metrics
from backend.answers import AnswerRejected, submit_answer
from backend.fastagency.frames import FastAgencyFrame, KeepAliveFrame
from backend.fastagency.translate import FrameTranslator, answer_value, error_frame
from backend.relay import RESYNC, Subscription
from backend.services import Services
from backend.socket_session import close_within
from backend.store import StoredEvent

log = logging.getLogger(__name__)
_PAGE = 1000
"""Events read from the log at a time while catching up."""


class SlowClient(Exception):
    """A send waited past ``socket_send_timeout_seconds``: the client stopped reading."""


class FastAgencySession:
    """The life of one FastAgency socket after its job was started."""

    def __init__(
        self, websocket: WebSocket, services: Services, user: str, translator: FrameTranslator
    ) -> None:
        self.websocket = websocket
        self.services = services
        self.user = user
        self.translator = translator
        self.job_id = translator.run.job_id
        self._last = "0"
        self._send_lock = asyncio.Lock()
        self._last_sent = asyncio.get_running_loop().time()
        self._send_timeout = services.settings.socket_send_timeout_seconds

    async def run(self) -> None:
        """Relay until the run completes (close 1000) or the client leaves (the job goes on)."""
        with (
            job_context(job_id=self.job_id, user=self.user),
            metrics.WEBSOCKETS_OPEN.track_inprogress(),
        ):
            pump = asyncio.create_task(self._pump())
            reader = asyncio.create_task(self._read_answers())
            try:
                done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, reader):
                    task.cancel()
                await asyncio.gather(pump, reader, return_exceptions=True)
            ended = pump if pump in done else reader
            error = ended.exception()
            if isinstance(error, WebSocketDisconnect) or ended is reader:
                log.info("job %s: FastAgency client left; the job goes on", self.job_id)
                return
            code, reason = self._close_code(error)
            await close_within(self.websocket, code, reason, self._send_timeout)

    def _close_code(self, error: BaseException | None) -> tuple[int, str]:
        if error is None:
            return status.WS_1000_NORMAL_CLOSURE, "workflow completed"
        if isinstance(error, SlowClient):
            log.warning("job %s: closing a FastAgency socket that stopped reading", self.job_id)
            return status.WS_1013_TRY_AGAIN_LATER, "client too slow: the job goes on"
        log.warning("job %s: FastAgency relay failed: %r", self.job_id, error)
        return status.WS_1011_INTERNAL_ERROR, "job store unavailable: the job goes on"

    async def _pump(self) -> None:
        async with self.services.relay.subscribe(self.job_id) as sub:
            if await self._catch_up():
                return
            await self._forward_live(sub)

    async def _catch_up(self) -> bool:
        """Send the frames of every logged event after the last one; True once the run ended."""
        while True:
            events = await self.services.store.read_events(self.job_id, self._last, _PAGE)
            for event in events:
                if await self._send_event(event):
                    return True
            if len(events) < _PAGE:
                break
        # A job whose log expired (or was deleted) never sends another event: stop waiting.
        return await self.services.store.get(self.job_id) is None

    async def _forward_live(self, sub: Subscription) -> None:
        interval = self.services.settings.fastagency_keep_alive_seconds
        loop = asyncio.get_running_loop()
        while True:
            idle_left = self._last_sent + interval - loop.time()
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow a cancellation
                # that races the result, and this task would outlive its socket.
                async with asyncio.timeout(max(idle_left, 0.0)):
                    event = await sub.get()
            except TimeoutError:
                # Silence past the interval (a human thinking, a slow model): show we are alive.
                await self._send(KeepAliveFrame(workflow_uuid=self.job_id))
                continue
            if event is RESYNC:
                if await self._catch_up():
                    return
            elif cursor_key(event.id) > cursor_key(self._last) and await self._send_event(event):
                return

    async def _send_event(self, event: StoredEvent) -> bool:
        for frame in self.translator.translate(event):
            await self._send(frame)
        metrics.EVENTS_RELAYED.inc()
        self._last = event.id
        return event.is_terminal

    async def _send(self, frame: FastAgencyFrame) -> None:
        # A send only waits while the client's buffer is full: past the timeout it stopped
        # reading, and SlowClient ends the socket (1013), not the job.
        try:
            async with asyncio.timeout(self._send_timeout), self._send_lock:
                await self.websocket.send_text(frame.model_dump_json())
        except TimeoutError:
            raise SlowClient from None
        self._last_sent = asyncio.get_running_loop().time()

    async def _read_answers(self) -> None:
        limit = self.services.settings.max_frame_bytes
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                text = (message.get("bytes") or b"").decode("utf-8", "replace")
            if len(text) > limit:
                await self._refuse("Answer refused", f"frame larger than {limit} bytes")
                continue
            try:
                await self._answer(text)
            except (RedisError, OSError):
                await self._refuse(
                    "Answer not delivered", "the job store is unavailable: send it again shortly"
                )

    async def _answer(self, text: str) -> None:
        """Deliver a bare-string frame as the answer to the question this socket showed."""
        asked = self.translator.asked
        if asked is None:
            # Never kept for a later question: it would answer something the human never saw.
            await self._refuse("Nothing to answer", "no question is pending: the frame was ignored")
            return
        record = await self.services.store.get(self.job_id)
        if record is None:
            await self._refuse("Answer refused", f"job {self.job_id!r} not found")
            return
        value = answer_value(asked, text)
        limit = self.services.settings.max_answer_bytes
        try:
            await submit_answer(self.services.store, record, asked.request_id, value, limit)
        except AnswerRejected as exc:
            if exc.status_code == 409:  # settled elsewhere (HTTP, another socket, a timeout)
                self.translator.asked = None
            await self._refuse("Answer refused", exc.detail)
            return
        self.translator.asked = None

    async def _refuse(self, short: str, long: str) -> None:
        await self._send(error_frame(self.job_id, short, long))
