"""Translating one job's agentjobs events into FastAgency frames (answers back: ``answers``).

| agentjobs event | FastAgency frames |
|---|---|
| ``workflow_started`` | ``workflow_started`` (always the first frame; once) |
| ``text_message``, ``text_input``, ``multiple_choice``, ``error`` | the same type |
| ``tool_approval`` | ``multiple_choice`` of ``approve`` / ``reject`` (arguments in the prompt) |
| ``tool_call`` / ``tool_result`` | ``suggested_function_call`` / ``function_call_execution`` |
| ``progress`` | ``system_message`` (``heading`` and ``body``) |
| ``workflow_completed`` | ``workflow_completed`` |
| ``workflow_failed`` / ``workflow_cancelled`` | ``error``, then ``workflow_completed`` |
| ``job_queued``, ``stream_chunk``, ``input_received`` | nothing |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentjobs.protocol import (
    EVENT_ADAPTER,
    ErrorEvent,
    Event,
    InputReceived,
    InputRequest,
    MultipleChoice,
    Progress,
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
from backend.fastagency.answers import APPROVE, REJECT
from backend.fastagency.frames import (
    ErrorContent,
    ErrorFrame,
    FastAgencyFrame,
    FunctionCallExecutionContent,
    FunctionCallExecutionFrame,
    MultipleChoiceContent,
    MultipleChoiceFrame,
    SuggestedFunctionCallContent,
    SuggestedFunctionCallFrame,
    SystemMessageContent,
    SystemMessageFrame,
    TextInputContent,
    TextInputFrame,
    TextMessageContent,
    TextMessageFrame,
    WorkflowCompletedContent,
    WorkflowCompletedFrame,
    WorkflowStartedContent,
    WorkflowStartedFrame,
    frame_uuid,
    new_frame_uuid,
)

WORKFLOW = "Workflow"
"""The sender of frames the run itself sends (as FastAgency's own server names it)."""
USER = "User"


@dataclass(frozen=True)
class RunInfo:
    """What the frames say about the run: its job id (their routing) and what it runs."""

    job_id: str
    name: str
    description: str
    params: dict[str, Any]


FrameIds = Callable[[int], str]
"""The uuid of an event's frame by its number among the event's frames (``frame_uuid``)."""


def started_frame(run: RunInfo, uuid: str) -> WorkflowStartedFrame:
    """The ``workflow_started`` frame of the run."""
    content = WorkflowStartedContent(name=run.name, description=run.description, params=run.params)
    return WorkflowStartedFrame(
        workflow_uuid=run.job_id, sender=WORKFLOW, recipient=USER, uuid=uuid, content=content
    )


def error_frame(workflow_uuid: str, short: str, long: str, uuid: str | None = None) -> ErrorFrame:
    """An ``error`` frame from the run (also used to refuse a client frame, with a new uuid)."""
    return ErrorFrame(
        workflow_uuid=workflow_uuid,
        sender=WORKFLOW,
        recipient=USER,
        uuid=uuid or new_frame_uuid(),
        content=ErrorContent(short=short, long=long),
    )


def completed_frame(run: RunInfo, result: Any, uuid: str) -> WorkflowCompletedFrame:
    """The ``workflow_completed`` frame; a non-text result is sent as JSON text."""
    text = result if result is None or isinstance(result, str) else json.dumps(result)
    return WorkflowCompletedFrame(
        workflow_uuid=run.job_id,
        sender=WORKFLOW,
        recipient=USER,
        uuid=uuid,
        content=WorkflowCompletedContent(result=text),
    )


def tool_arguments(raw: str) -> dict[str, Any]:
    """A tool call's arguments as an object: FastAgency requires one, agentjobs keeps JSON text.

    Text that is not a JSON object (a model may send anything) is kept under ``"arguments"``.
    """
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {"arguments": raw}
    return parsed if isinstance(parsed, dict) else {"arguments": parsed}


def _text_message(e: TextMessage, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    content = TextMessageContent(body=e.content)
    return [
        TextMessageFrame(
            workflow_uuid=run.job_id,
            sender=e.sender,
            recipient=e.recipient,
            uuid=ids(0),
            content=content,
        )
    ]


def _text_input(e: TextInput, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    content = TextInputContent(prompt=e.prompt, suggestions=e.suggestions, password=e.password)
    return [
        TextInputFrame(
            workflow_uuid=run.job_id, sender=e.sender, recipient=USER, uuid=ids(0), content=content
        )
    ]


def _multiple_choice(e: MultipleChoice, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    content = MultipleChoiceContent(
        prompt=e.prompt, choices=e.choices, default=e.default, single=e.single
    )
    return [
        MultipleChoiceFrame(
            workflow_uuid=run.job_id, sender=e.sender, recipient=USER, uuid=ids(0), content=content
        )
    ]


def _tool_approval(e: ToolApproval, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    prompt = f"{e.prompt}\nArguments: {json.dumps(e.arguments)}"
    content = MultipleChoiceContent(
        prompt=prompt, choices=[APPROVE, REJECT], default=None, single=True
    )
    return [
        MultipleChoiceFrame(
            workflow_uuid=run.job_id, sender=e.sender, recipient=USER, uuid=ids(0), content=content
        )
    ]


def _tool_call(e: ToolCall, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    content = SuggestedFunctionCallContent(
        function_name=e.function_name, call_id=e.call_id, arguments=tool_arguments(e.arguments)
    )
    return [
        SuggestedFunctionCallFrame(
            workflow_uuid=run.job_id, sender=e.sender, uuid=ids(0), content=content
        )
    ]


def _tool_result(e: ToolResult, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    content = FunctionCallExecutionContent(
        function_name=e.function_name, call_id=e.call_id, retval=e.content
    )
    return [
        FunctionCallExecutionFrame(
            workflow_uuid=run.job_id, sender=e.sender, uuid=ids(0), content=content
        )
    ]


def _progress(e: Progress, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    body = e.content if e.fraction is None else f"{e.content} ({round(e.fraction * 100)}%)"
    content = SystemMessageContent(message={"heading": "Progress", "body": body})
    return [
        SystemMessageFrame(
            workflow_uuid=run.job_id, sender=WORKFLOW, recipient=USER, uuid=ids(0), content=content
        )
    ]


def _error(e: ErrorEvent, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    return [error_frame(run.job_id, e.short, e.long, ids(0))]


def _completed(e: WorkflowCompleted, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    return [completed_frame(run, e.result, ids(0))]


def _failed(e: WorkflowFailed, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    return [
        error_frame(run.job_id, f"Workflow failed ({e.reason})", e.error, ids(0)),
        completed_frame(run, f"failed ({e.reason}): {e.error}", ids(1)),
    ]


def _cancelled(e: WorkflowCancelled, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    return [
        error_frame(run.job_id, "Workflow cancelled", f"cancelled by {e.by}", ids(0)),
        completed_frame(run, f"cancelled by {e.by}", ids(1)),
    ]


_Handler = Callable[[Any, RunInfo, FrameIds], list[FastAgencyFrame]]
_HANDLERS: dict[str, _Handler] = {
    "workflow_started": lambda _e, run, ids: [started_frame(run, ids(0))],
    "text_message": _text_message,
    "text_input": _text_input,
    "multiple_choice": _multiple_choice,
    "tool_approval": _tool_approval,
    "tool_call": _tool_call,
    "tool_result": _tool_result,
    "progress": _progress,
    "error": _error,
    "workflow_completed": _completed,
    "workflow_failed": _failed,
    "workflow_cancelled": _cancelled,
}
"""Event types with frames; every other type (``stream_chunk`` and ``input_received`` among
them, and types added later) is dropped without being parsed."""


def event_frames(event: Event, run: RunInfo, ids: FrameIds) -> list[FastAgencyFrame]:
    """The frames for one event (none for types FastAgency has no frame for), their uuids
    from ``ids``."""
    handler = _HANDLERS.get(event.type)
    return handler(event, run, ids) if handler is not None else []


@dataclass
class FrameTranslator:
    """One socket's view of a run: frames in order, and the question the client may answer."""

    run: RunInfo
    asked: InputRequest | None = None
    """The request whose frame was sent and which no answer has settled yet."""
    _started: bool = field(default=False, init=False)

    def accepted(self) -> FastAgencyFrame:
        """The ``workflow_started`` frame, sent once the job is accepted (recorded, queued): it
        holds nothing a worker adds, so the client need not wait for the queue hop."""
        self._started = True
        return started_frame(self.run, frame_uuid(self.run.job_id, "accepted", 0))

    def translate(self, stored: StoredEvent) -> list[FastAgencyFrame]:
        """The frames for a logged event, ``workflow_started`` first and only once."""
        if stored.type == "input_received":
            received = EVENT_ADAPTER.validate_json(stored.json)
            if isinstance(received, InputReceived) and self._is_asked(received.request_id):
                self.asked = None  # answered (here, over HTTP or on another socket)
            return []
        if stored.type not in _HANDLERS or (stored.type == "workflow_started" and self._started):
            return []
        event = EVENT_ADAPTER.validate_json(stored.json)
        job_id, cursor = self.run.job_id, stored.id
        # A socket that missed the job's start shows it first, as the event's frame number 0.
        missed_start = not self._started and stored.type != "workflow_started"
        first = 1 if missed_start else 0
        frames = event_frames(event, self.run, lambda n: frame_uuid(job_id, cursor, first + n))
        if isinstance(event, TextInput | MultipleChoice | ToolApproval):
            self.asked = event
        elif stored.is_terminal:
            self.asked = None
        self._started = True
        if missed_start:
            frames.insert(0, started_frame(self.run, frame_uuid(job_id, cursor, 0)))
        return frames

    def _is_asked(self, request_id: str) -> bool:
        return self.asked is not None and self.asked.request_id == request_id
