"""An in-memory ``EventSink``: records a job's events and answers its questions from a script.

``agentjobs.testing`` runs whole workflows on it; unit tests use it to drive a ``JobUI``
directly (``memory_ui``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal

from agentjobs.journal import JournalEntry
from agentjobs.protocol import AnswerValue, Event, InputReceived, InputRequest, answer_problem
from agentjobs.ui import EmitKind, InputTimeout, JobUI

__all__ = [
    "CANCEL",
    "Answer",
    "BadAnswer",
    "Cancel",
    "MemorySink",
    "OutOfAnswers",
    "answer_problem",
    "memory_ui",
]


class Cancel:
    """The type of ``CANCEL``."""

    def __repr__(self) -> str:
        return "CANCEL"


CANCEL: Final = Cancel()
"""A scripted "answer" that cancels the job at that question, as a user's cancel would."""

Answer = AnswerValue | Cancel | Callable[[InputRequest], AnswerValue | Cancel]
"""A scripted answer: a value, ``CANCEL``, or a function of the request it answers."""


class OutOfAnswers(InputTimeout):
    """A question came after the scripted answers ran out (like nobody answering in time)."""

    deadline_passed = False  # a script missing an answer fails even where a default exists

    def __init__(self, request: InputRequest, asked: int) -> None:
        Exception.__init__(
            self,
            f"no scripted answer left for question {asked} of the run, the {request.type} "
            f"{request.prompt!r} asked by {request.sender!r}: add an answer for it",
        )
        self.request_id = request.request_id
        self.timeout = 0.0
        self.request = request


class BadAnswer(ValueError):
    """A scripted answer the API would refuse (422) for its question."""


class MemorySink:
    """Records every emitted event with an increasing cursor and answers input requests.

    Requests take the scripted ``answers`` in order (a single function answers them all).
    When the script runs out, a request waits until ``answer`` is called (how unit tests hold
    a workflow in the middle of a question), or, with ``out_of_answers="fail"``, raises
    ``OutOfAnswers`` at once. A scripted ``CANCEL`` calls ``cancel_run``.
    """

    def __init__(
        self,
        answers: Iterable[Answer] | Callable[[InputRequest], AnswerValue | Cancel] = (),
        *,
        out_of_answers: Literal["wait", "fail"] = "wait",
    ) -> None:
        self.events: list[Event] = []
        self.kinds: list[EmitKind] = []
        self._answer_all = answers if callable(answers) else None
        self._answers: deque[Answer] = deque() if callable(answers) else deque(answers)
        self._out_of_answers = out_of_answers
        self._requests: dict[str, InputRequest] = {}
        self._pending: dict[str, asyncio.Future[AnswerValue]] = {}
        self._changed = asyncio.Condition()
        self.cancel_run: Callable[[], object] | None = None
        """What a scripted ``CANCEL`` calls (``agentjobs.testing`` cancels the run)."""
        self.abandoned: list[str] = []
        """Request ids whose wait ended without an answer (cancelled or timed out)."""
        self.journal: list[JournalEntry] = []
        """Outside results the workflow recorded (human answers are journaled by the API)."""

    async def record(self, entry: JournalEntry) -> None:
        """Keep a journal entry, as JSON the way a worker stores it (so a tool returning what
        JSON cannot carry fails here too)."""
        self.journal.append(JournalEntry.model_validate_json(entry.model_dump_json()))

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append ``event`` with the next cursor and return that cursor."""
        cursor = f"{len(self.events) + 1}-0"
        self.events.append(event.model_copy(update={"id": cursor}))
        self.kinds.append(kind)
        if kind == "request":
            assert event.type in ("text_input", "multiple_choice", "tool_approval"), event
            self._requests[event.request_id] = event
        async with self._changed:
            self._changed.notify_all()
        return cursor

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """The next scripted answer, or wait for ``answer(request_id, ...)``."""
        request = self._requests[request_id]
        scripted = self._next_scripted(request)
        if scripted is not None:
            value = scripted(request) if callable(scripted) else scripted
            if not isinstance(value, Cancel):
                problem = answer_problem(request, value)
                if problem is not None:
                    raise BadAnswer(f"scripted answer to {request.prompt!r}: {problem}")
                await self._received(request_id, value)
                return value
            if self.cancel_run is None:
                raise RuntimeError("a scripted CANCEL needs cancel_run (agentjobs.testing sets it)")
            # The cancel reaches this wait as it would a worker's: the wait below is cancelled.
            self.cancel_run()
        return await self._wait_for_human(request_id, timeout)

    def _next_scripted(self, request: InputRequest) -> Answer | None:
        if self._answer_all is not None:
            return self._answer_all
        if self._answers:
            return self._answers.popleft()
        if self._out_of_answers == "fail":
            raise OutOfAnswers(request, len(self._requests))
        return None

    async def _wait_for_human(self, request_id: str, timeout: float | None) -> AnswerValue:
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

    async def apply_default(self, request: InputRequest, value: AnswerValue) -> AnswerValue:
        """The request's deadline passed: log its default as the answer, from the deadline."""
        await self.emit(
            InputReceived(
                job_id=request.job_id, request_id=request.request_id, value=value, source="deadline"
            )
        )
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
