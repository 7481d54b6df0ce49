"""What a ``JobUI`` writes to and waits on: the ``EventSink`` protocol (Redis in a worker,
memory in tests) and the timeout it raises."""

from __future__ import annotations

from typing import Literal, Protocol

from agentjobs.journal import JournalEntry
from agentjobs.protocol import AnswerValue, Event, InputRequest

EmitKind = Literal["plain", "request", "notice"]
"""``notice``: a status line outside the run's event numbering (a replay need not repeat it)."""


class EventSink(Protocol):
    """Where a ``JobUI`` sends events and gets answers (Redis in a worker, memory in tests)."""

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        """Append ``event`` to the job's log and publish it; returns its cursor, or "" when
        the sink writes it behind the run (a worker's plain events, ``worker.event_batch``)."""
        ...

    async def wait_reply(self, request_id: str, timeout: float | None) -> AnswerValue:
        """Block until the answer to ``request_id`` arrives; raises ``InputTimeout``."""
        ...

    async def record(self, entry: JournalEntry) -> None:
        """Append an outside result to the job's journal."""
        ...

    async def apply_default(self, request: InputRequest, value: AnswerValue) -> AnswerValue:
        """At the request's deadline, answer it with its default ``value`` (an
        ``input_received`` from the deadline) unless a human's answer won the race; returns
        the answer that won. Raises ``InputTimeout`` when neither can be had."""
        ...


class InputTimeout(Exception):
    """Nobody answered an input request in time."""

    deadline_passed = True
    """True when the request's deadline passed (its default, if any, is then the answer)."""

    def __init__(self, request_id: str, timeout: float) -> None:
        super().__init__(f"no answer to input request {request_id} within {timeout:g} s")
        self.request_id = request_id
        self.timeout = timeout
