"""One FastAgency socket following its job: translated frames out, bare-string answers in.

The relay, the send bounds and the close codes are the shared ``backend.socket_harness``; this
socket adds FastAgency's frames, a keep-alive while the job is quiet, and answers. The run is
a job, not the socket's: when the client leaves, the job goes on and stays visible (and
answerable) through the agentjobs API. Everything is async: a waiting run costs one
subscription and two idle tasks here, never a thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from agentjobs.protocol import START
from backend.answers import AnswerRejected, submit_answer
from backend.event_log import StoredEvent
from backend.fastagency.answers import answer_value
from backend.fastagency.frames import KeepAliveFrame
from backend.fastagency.translate import FrameTranslator, error_frame
from backend.job_start import AcceptedJob, send_job
from backend.relay import Subscription
from backend.services import Services
from backend.socket_harness import CloseReasons, SocketHarness


class FastAgencySession(SocketHarness):
    """The life of one FastAgency socket after its job was started."""

    reasons = CloseReasons(
        finished="workflow completed",
        too_slow="client too slow: the job goes on",
        store_failed="job store unavailable: the job goes on",
    )

    def __init__(
        self,
        websocket: WebSocket,
        services: Services,
        user: str,
        translator: FrameTranslator,
        job: AcceptedJob,
    ) -> None:
        super().__init__(websocket, services, user, translator.run.job_id)
        self.translator = translator
        self.keep_alive_seconds = services.settings.fastagency_keep_alive_seconds
        self._job = job
        self._task_sent = False

    async def run(self, after: str = START, born_watched: Subscription | None = None) -> None:
        """Relay the job (``SocketHarness.run``); its run task is sent by the end for sure."""
        try:
            await super().run(after, born_watched)
        finally:
            with contextlib.suppress(RedisError, OSError):  # not queued: the reaper resends
                await self._send_task()  # the socket ended before its first frame

    def encode(self, event: StoredEvent) -> Iterable[str]:
        """The FastAgency frames the event translates to (it tracks the question shown)."""
        return [frame.model_dump_json() for frame in self.translator.translate(event)]

    async def opening(self) -> None:
        """The run's ``workflow_started`` frame at once (``FrameTranslator.accepted``), then
        the run task's send: the job is recorded already, so the frame need not wait for the
        task's message to be built, and a send that fails is the reaper's to repeat."""
        try:
            await self.send(self.translator.accepted().model_dump_json())
        finally:
            await self._send_task()

    async def _send_task(self) -> None:
        # Before the relay starts: the job's events wait in its subscription meanwhile.
        if not self._task_sent:
            self._task_sent = True
            await send_job(self.services, self._job)

    async def keep_alive(self) -> None:
        """Silence past the interval (a human thinking, a slow model): show we are alive."""
        await self.send(KeepAliveFrame(workflow_uuid=self.job_id).model_dump_json())

    async def on_oversized(self, size: int, limit: int) -> None:
        """Refuse the frame and keep the socket: FastAgency clients know no 1009."""
        await self._refuse("Answer refused", f"frame larger than {limit} bytes")

    async def on_store_error(self) -> None:
        """Ask the human to send the answer again."""
        await self._refuse(
            "Answer not delivered", "the job store is unavailable: send it again shortly"
        )

    async def on_frame(self, text: str | None, data: bytes | None) -> None:
        """Deliver a bare-string frame as the answer to the question this socket showed."""
        if text is None:
            text = (data or b"").decode("utf-8", "replace")
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
        await self.send(error_frame(self.job_id, short, long).model_dump_json())
