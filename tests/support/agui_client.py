"""A small AG-UI client for tests: posts a RunAgentInput, parses and checks the SSE stream.

Every event is validated with ``ag-ui-protocol``'s own models, and the run is checked against
the stream's rules: it opens with RUN_STARTED and closes exactly once (RUN_FINISHED or
RUN_ERROR, nothing after), text messages and tool calls are started, continued and ended in
balance with the ids they were opened with.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from ag_ui.core import (
    BaseEvent,
    Event,
    EventType,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
)
from pydantic import TypeAdapter

EVENTS: TypeAdapter[BaseEvent] = TypeAdapter(Event)
_TEXT = {EventType.TEXT_MESSAGE_START, EventType.TEXT_MESSAGE_CONTENT, EventType.TEXT_MESSAGE_END}
_TOOL = {EventType.TOOL_CALL_START, EventType.TOOL_CALL_ARGS, EventType.TOOL_CALL_END}


@dataclass
class Run:
    """One AG-UI run as the client saw it."""

    events: list[BaseEvent] = field(default_factory=list)

    @property
    def last(self) -> RunFinishedEvent | RunErrorEvent:
        end = self.events[-1]
        assert isinstance(end, RunFinishedEvent | RunErrorEvent), end
        return end

    @property
    def job_id(self) -> str:
        named = [e for e in self.events if getattr(e, "name", None) == "agentjobs.job"]
        job_id: str = named[0].value["job_id"]  # type: ignore[attr-defined]
        return job_id

    def messages(self) -> list[tuple[str, str, str]]:
        """(message id, sender name, full text) of every text message, in order."""
        names: dict[str, str] = {}
        texts: dict[str, str] = {}
        for event in self.events:
            if isinstance(event, TextMessageStartEvent):
                names[event.message_id] = event.name or ""
                texts[event.message_id] = ""
            elif isinstance(event, TextMessageContentEvent):
                texts[event.message_id] += event.delta
        return [(mid, names[mid], texts[mid]) for mid in names]

    def types(self) -> list[str]:
        return [event.type.value for event in self.events]


def run_input(thread_id: str, **fields: Any) -> dict[str, Any]:
    """A RunAgentInput body (camelCase, as clients send it), checked by the package's model."""
    body = {"threadId": thread_id, "runId": uuid.uuid4().hex, "messages": [], **fields}
    RunAgentInput.model_validate(body)
    return body


def check_rules(run: Run) -> None:
    """Assert the stream rules of one run (see the module docstring)."""
    assert run.events, "empty stream"
    assert run.events[0].type is EventType.RUN_STARTED, run.types()
    ends = [e for e in run.events if e.type in (EventType.RUN_FINISHED, EventType.RUN_ERROR)]
    assert len(ends) == 1 and ends[0] is run.events[-1], run.types()
    open_messages: set[str] = set()
    seen_messages: set[str] = set()
    open_calls: set[str] = set()
    for event in run.events:
        if event.type in _TEXT:
            mid = event.message_id  # type: ignore[attr-defined]
            if isinstance(event, TextMessageStartEvent):
                assert mid not in seen_messages, f"message id {mid} opened twice"
                open_messages.add(mid)
                seen_messages.add(mid)
            else:
                assert mid in open_messages, f"{event.type} for message {mid} not open"
                if isinstance(event, TextMessageEndEvent):
                    open_messages.discard(mid)
        elif event.type in _TOOL:
            call = event.tool_call_id  # type: ignore[attr-defined]
            if event.type is EventType.TOOL_CALL_START:
                assert call not in open_calls
                open_calls.add(call)
            else:
                assert call in open_calls, f"{event.type} for call {call} not open"
                if event.type is EventType.TOOL_CALL_END:
                    open_calls.discard(call)
    assert not open_messages and not open_calls, (open_messages, open_calls)


def parse_sse(lines: list[str]) -> list[BaseEvent]:
    """The events of an SSE body (comments skipped), each validated."""
    events = []
    for line in lines:
        if line.startswith("data:"):
            events.append(EVENTS.validate_python(json.loads(line[5:].strip())))
    return events


async def post_run(
    http: httpx.AsyncClient, workflow: str, body: dict[str, Any], timeout: float = 30
) -> Run:
    """Post one run and read its stream to the end; checks it and returns what came."""
    lines: list[str] = []
    async with http.stream("POST", f"/ag-ui/{workflow}", json=body, timeout=timeout) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            lines.append(line)
    run = Run(parse_sse(lines))
    check_rules(run)
    return run
