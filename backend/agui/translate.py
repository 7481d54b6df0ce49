"""Translating one job's agentjobs events into one AG-UI run's events.

| agentjobs event | AG-UI events |
|---|---|
| (the run opens) | ``RUN_STARTED``, ``CUSTOM agentjobs.job`` (``{job_id, workflow}``) |
| ``stream_chunk`` | ``TEXT_MESSAGE_START`` (first chunk of a sender), ``TEXT_MESSAGE_CONTENT`` |
| ``text_message`` | ``TEXT_MESSAGE_END`` of the streamed message, or START + CONTENT + END |
| ``tool_call`` | ``TOOL_CALL_START`` / ``TOOL_CALL_ARGS`` / ``TOOL_CALL_END`` |
| ``tool_result`` | ``TOOL_CALL_RESULT`` |
| ``progress``, ``error``, ``input_received`` | ``CUSTOM agentjobs.<the type>`` |
| ``text_input``, ``multiple_choice``, ``tool_approval`` | ``RUN_FINISHED``, outcome ``interrupt`` |
| ``workflow_completed`` | ``RUN_FINISHED``, outcome ``success``, ``result`` |
| ``workflow_cancelled`` | ``RUN_FINISHED``, outcome ``cancelled`` |
| ``workflow_failed`` | ``RUN_ERROR`` (``code`` = the failure reason) |
| ``job_queued``, ``workflow_started`` | nothing |

Message ids are ``<job>-<run start cursor>-<n>`` (the n-th message of the run): a run replayed
from its start gives every message the id it had, whether its chunks were replayed or not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ag_ui.core import (
    PROTOCOL_VERSION,
    BaseEvent,
    CustomEvent,
    Interrupt,
    RunErrorEvent,
    RunFinishedCancelledOutcome,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunFinishedSuccessOutcome,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

from agentjobs.approvals import approval_schema
from agentjobs.protocol import (
    EVENT_ADAPTER,
    ErrorEvent,
    Event,
    InputReceived,
    InputRequest,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolApproval,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
)
from backend.event_log import StoredEvent

CUSTOM_PREFIX = "agentjobs."
"""Names of the CUSTOM events agentjobs sends start with this."""
_SILENT = frozenset({"job_queued", "workflow_started"})


def response_schema(request: InputRequest) -> dict[str, Any]:
    """The JSON Schema of the answer a request takes: a string, or one (or several) choices."""
    if isinstance(request, TextInput):
        return {"type": "string"}
    if isinstance(request, ToolApproval):
        return approval_schema(request.arguments_schema)
    one = {"type": "string", "enum": list(request.choices)}
    if request.single:
        return one
    return {"type": "array", "items": one, "uniqueItems": True, "minItems": 1}


def interrupt_for(request: InputRequest) -> Interrupt:
    """The AG-UI interrupt showing a pending request (its id is the request id)."""
    meta: dict[str, Any] = {"sender": request.sender, "type": request.type}
    if isinstance(request, TextInput):
        meta.update(suggestions=request.suggestions, password=request.password)
    elif request.default is not None:
        meta["default"] = request.default
    return Interrupt(
        id=request.request_id,
        reason="input_required",
        message=request.prompt,
        response_schema=response_schema(request),
        metadata=meta,
    )


def _ms(event: Event) -> int:
    return int(event.ts.timestamp() * 1000)


@dataclass
class RunTranslator:
    """One AG-UI run's view of a job: events in order, open messages closed before the end."""

    job_id: str
    workflow: str
    thread_id: str
    run_id: str
    start: str
    """The cursor the run starts after (part of its message ids)."""
    asked: InputRequest | None = None
    """A request seen in this run that no answer settled yet: the run ends in an interrupt."""
    finished: bool = False
    _open: tuple[str, str] | None = field(default=None, init=False)
    """(sender, message id) of the text message being streamed."""
    _count: int = field(default=0, init=False)

    def started(self) -> list[BaseEvent]:
        """``RUN_STARTED`` and the CUSTOM event naming the job."""
        return [
            RunStartedEvent(
                thread_id=self.thread_id, run_id=self.run_id, protocol_version=PROTOCOL_VERSION
            ),
            CustomEvent(
                name=f"{CUSTOM_PREFIX}job", value={"job_id": self.job_id, "workflow": self.workflow}
            ),
        ]

    def translate(self, stored: StoredEvent) -> list[BaseEvent]:
        """The AG-UI events for one logged (or live) event; the run's last one when it ends."""
        if self.finished or stored.type in _SILENT:
            return []
        event = EVENT_ADAPTER.validate_json(stored.json)
        handler = getattr(self, f"_on_{event.type}", None)
        return handler(event, stored.id) if handler is not None else []

    def _on_stream_chunk(self, event: StreamChunk, _cursor: str) -> list[BaseEvent]:
        return self._chunk(event)

    def _on_text_message(self, event: TextMessage, _cursor: str) -> list[BaseEvent]:
        return self._message(event)

    def _on_tool_call(self, event: ToolCall, _cursor: str) -> list[BaseEvent]:
        return [*self._close(), *self._tool_call(event)]

    def _on_tool_result(self, event: ToolResult, cursor: str) -> list[BaseEvent]:
        return [self._tool_result(event, cursor)]

    def _on_text_input(self, event: InputRequest, _cursor: str) -> list[BaseEvent]:
        self.asked = event
        return self._close()

    _on_multiple_choice = _on_text_input
    _on_tool_approval = _on_text_input

    def _on_input_received(self, event: InputReceived, _cursor: str) -> list[BaseEvent]:
        if self.asked is not None and self.asked.request_id == event.request_id:
            self.asked = None  # answered (by a resume, over HTTP, on a socket)
        return [self._custom("input_received", event, "request_id", "value")]

    def _on_progress(self, event: Progress, _cursor: str) -> list[BaseEvent]:
        return [self._custom("progress", event, "content", "fraction")]

    def _on_error(self, event: ErrorEvent, _cursor: str) -> list[BaseEvent]:
        return [self._custom("error", event, "short", "long")]

    def _on_workflow_completed(self, event: WorkflowCompleted, _cursor: str) -> list[BaseEvent]:
        return self._finish(RunFinishedSuccessOutcome(), event.result)

    def _on_workflow_failed(self, event: WorkflowFailed, _cursor: str) -> list[BaseEvent]:
        return self.error(event.error, event.reason)

    def _on_workflow_cancelled(self, _event: WorkflowCancelled, _c: str) -> list[BaseEvent]:
        return self._finish(RunFinishedCancelledOutcome())

    def interrupt(self) -> list[BaseEvent]:
        """End the run on the pending request: ``RUN_FINISHED`` with an interrupt outcome."""
        assert self.asked is not None, "interrupt() without a pending request"
        outcome = RunFinishedInterruptOutcome(interrupts=[interrupt_for(self.asked)])
        return self._finish(outcome)

    def error(self, message: str, code: str) -> list[BaseEvent]:
        """End the run with ``RUN_ERROR``, closing any open message first."""
        closing = self._close()
        self.finished = True
        return [*closing, RunErrorEvent(message=message, code=code)]

    def _finish(
        self,
        outcome: RunFinishedSuccessOutcome
        | RunFinishedInterruptOutcome
        | RunFinishedCancelledOutcome,
        result: Any = None,
    ) -> list[BaseEvent]:
        closing = self._close()
        self.finished = True
        done = RunFinishedEvent(
            thread_id=self.thread_id, run_id=self.run_id, outcome=outcome, result=result
        )
        return [*closing, done]

    def _new_id(self) -> str:
        self._count += 1
        return f"{self.job_id}-{self.start}-{self._count}"

    def _chunk(self, event: StreamChunk) -> list[BaseEvent]:
        out: list[BaseEvent] = []
        if self._open is None or self._open[0] != event.sender:
            out += self._close()  # one message open at a time: strict clients require it
            self._open = (event.sender, self._new_id())
            out.append(self._start(self._open[1], event.sender, event))
        if event.content:  # pre-1.0 clients refuse an empty delta
            out.append(
                TextMessageContentEvent(
                    message_id=self._open[1], delta=event.content, timestamp=_ms(event)
                )
            )
        return out

    def _message(self, event: TextMessage) -> list[BaseEvent]:
        if self._open is not None and self._open[0] == event.sender:
            return self._close()  # its content was streamed chunk by chunk
        out = self._close()
        message_id = self._new_id()
        out.append(self._start(message_id, event.sender, event))
        if event.content:
            out.append(
                TextMessageContentEvent(
                    message_id=message_id, delta=event.content, timestamp=_ms(event)
                )
            )
        out.append(TextMessageEndEvent(message_id=message_id, timestamp=_ms(event)))
        return out

    @staticmethod
    def _start(message_id: str, sender: str, event: Event) -> TextMessageStartEvent:
        role: Literal["user", "assistant"] = "user" if sender.lower() == "user" else "assistant"
        return TextMessageStartEvent(
            message_id=message_id, role=role, name=sender, timestamp=_ms(event)
        )

    def _close(self) -> list[BaseEvent]:
        if self._open is None:
            return []
        message_id = self._open[1]
        self._open = None
        return [TextMessageEndEvent(message_id=message_id)]

    @staticmethod
    def _tool_call(event: ToolCall) -> list[BaseEvent]:
        ts = _ms(event)
        call = event.call_id
        return [
            ToolCallStartEvent(tool_call_id=call, tool_call_name=event.function_name, timestamp=ts),
            ToolCallArgsEvent(tool_call_id=call, delta=event.arguments, timestamp=ts),
            ToolCallEndEvent(tool_call_id=call, timestamp=ts),
        ]

    def _tool_result(self, event: ToolResult, cursor: str) -> ToolCallResultEvent:
        return ToolCallResultEvent(
            message_id=f"{self.job_id}-{cursor}",
            tool_call_id=event.call_id,
            content=event.content,
            role="tool",
            timestamp=_ms(event),
        )

    @staticmethod
    def _custom(name: str, event: Event, *fields: str) -> CustomEvent:
        value = {part: getattr(event, part) for part in fields}
        return CustomEvent(name=f"{CUSTOM_PREFIX}{name}", value=value, timestamp=_ms(event))
