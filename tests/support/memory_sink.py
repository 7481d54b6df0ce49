"""An in-memory ``EventSink`` for tests: records events and answers requests from a script."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from agentjobs.journal import JournalEntry
from agentjobs.protocol import AnswerValue, Event, InputReceived, InputRequest
from agentjobs.ui import EmitKind, InputTimeout, JobUI

Answer = AnswerValue | Callable[[InputRequest], AnswerValue]
"""A scripted answer: a value, or a function of the request it answers."""


class MemorySink:
    """Records every emitted event with an increasing cursor and answers input requests.

    Requests take the scripted answers in order. When the script runs out, a request waits
    until a test calls ``answer`` (or ``wait_reply`` times out), which is how tests hold a
    workflow in the middle of a question.
    """

    def __init__(self, answers: Iterable[Answer] = ()) -> None:
        self.events: list[Event] = []
        self.kinds: list[EmitKind] = []
        self._answers: deque[Answer] = deque(answers)
        self._requests: dict[str, InputRequest] = {}
        self._pending: dict[str, asyncio.Future[AnswerValue]] = {}
        self._changed = asyncio.Condition()
        self.abandoned: list[str] = []
        """Request ids whose wait ended without an answer (cancelled or timed out)."""
        self.journal: list[JournalEntry] = []
        """Outside results the workflow recorded (human answers are journaled by the API)."""

    async def record(self, entry: JournalEntry) -> None:
        """Keep a journal entry."""
        self.journal.append(entry)

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append ``event`` with the next cursor and return that cursor."""
        cursor = f"{len(self.events) + 1}-0"
        self.events.append(event.model_copy(update={"id": cursor}))
        self.kinds.append(kind)
        if kind == "request":
            assert event.type in ("text_input", "multiple_choice"), event
            self._requests[event.request_id] = event
        async with self._changed:
            self._changed.notify_all()
        return cursor

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """The next scripted answer, or wait for ``answer(request_id, ...)``."""
        request = self._requests[request_id]
        if self._answers:
            scripted = self._answers.popleft()
            value = scripted(request) if callable(scripted) else scripted
            await self._received(request_id, value)
            return value
        future: asyncio.Future[AnswerValue] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        async with self._changed:
            self._changed.notify_all()
        try:
            value = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.abandoned.append(request_id)
            raise InputTimeout(request_id, timeout or 0.0) from None
        except asyncio.CancelledError:
            self.abandoned.append(request_id)
            raise
        finally:
            del self._pending[request_id]
        await self._received(request_id, value)
        return value

    def answer(self, request_id: str, value: AnswerValue) -> None:
        """Answer a request that is waiting for a human."""
        self._pending[request_id].set_result(value)

    async def next_waiting(self) -> InputRequest:
        """Block until some request is waiting for ``answer`` and return it."""
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._pending))
        return self._requests[next(iter(self._pending))]

    def of_type(self, event_type: str) -> list[Any]:
        """The recorded events of one ``type``, in order."""
        return [event for event in self.events if event.type == event_type]

    @property
    def types(self) -> list[str]:
        """The recorded event types, in order."""
        return [event.type for event in self.events]

    async def _received(self, request_id: str, value: AnswerValue) -> None:
        # The API records the answer in the job's log; do the same so transcripts read alike.
        request = self._requests[request_id]
        await self.emit(InputReceived(job_id=request.job_id, request_id=request_id, value=value))


def memory_ui(sink: MemorySink, *, workflow: str = "test", input_timeout: float = 30.0) -> JobUI:
    """A ``JobUI`` writing to ``sink``, with a timeout so a broken test fails instead of hanging."""
    return JobUI(
        sink, job_id="job-1", user="tester", workflow=workflow, input_timeout=input_timeout
    )
