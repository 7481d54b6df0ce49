"""The agentjobs job WebSocket: events as protocol JSON out, input/cancel/ping frames in.

The relay, the send bounds and the close codes are the shared ``backend.socket_harness``;
this socket adds its frames. A frame over ``max_frame_bytes`` closes it with 1009; any other
bad frame gets a ``protocol_error`` frame and the socket stays open.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError

from agentjobs.protocol import (
    CLIENT_FRAME_ADAPTER,
    CancelFrame,
    ClientFrame,
    InputFrame,
    PongFrame,
    ProtocolErrorFrame,
)
from backend.answers import AnswerRejected, submit_answer
from backend.event_log import StoredEvent
from backend.socket_harness import CloseReasons, SocketHarness

STORE_UNAVAILABLE = "job store unavailable: reconnect with your last cursor"
TOO_SLOW = "you stopped reading and your buffer is full: reconnect with after=<your last cursor>"


class SocketSession(SocketHarness):
    """The life of one accepted agentjobs job WebSocket."""

    reasons = CloseReasons(
        finished="job finished", too_slow=TOO_SLOW, store_failed=STORE_UNAVAILABLE
    )

    def encode(self, event: StoredEvent) -> Iterable[str]:
        """The event as stored: protocol JSON with its cursor as ``id``."""
        return (event.json,)

    async def on_frame(self, text: str | None, data: bytes | None) -> None:
        """Answer, cancel or pong; refuse binary and invalid frames with ``protocol_error``."""
        if text is None:
            await self._refuse("binary frames are not supported: send JSON text")
            return
        try:
            frame = CLIENT_FRAME_ADAPTER.validate_json(text)
        except ValidationError as exc:
            await self._refuse(_describe(exc))
            return
        await self._handle(frame)

    async def on_store_error(self) -> None:
        """Ask the client to send the frame again."""
        await self._refuse("the job store is unavailable right now: send it again shortly")

    async def _handle(self, frame: ClientFrame) -> None:
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
                    user=self.user,
                )
            except AnswerRejected as exc:
                await self._refuse(exc.detail)
        elif isinstance(frame, CancelFrame):
            record = await self.services.store.get(self.job_id)
            if record is None or record.user != self.user:  # an assignee may not cancel
                await self._refuse("only the job's owner may cancel it")
                return
            await self.services.store.cancel(self.job_id, by=self.user, record=record)
        else:
            await self.send(PongFrame().model_dump_json())

    async def _refuse(self, detail: str) -> None:
        await self.send(ProtocolErrorFrame(detail=detail).model_dump_json())


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"invalid frame: {where}: {first['msg']}" if where else f"invalid frame: {first['msg']}"
