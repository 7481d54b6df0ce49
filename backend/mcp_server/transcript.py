"""One line of text per job event: what progress notifications and transcripts show."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agentjobs.protocol import (
    INPUT_REQUEST_TYPES,
    ErrorEvent,
    Event,
    InputReceived,
    InputRequest,
    JobQueued,
    MultipleChoice,
    Progress,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)


def question_text(request: InputRequest) -> str:
    """The question a request asks, with its choices (or, for other kinds, what it is about)."""
    if isinstance(request, TextInput):
        return request.prompt
    if isinstance(request, MultipleChoice):
        many = "" if request.single else " (one or more)"
        return f"{request.prompt} Choices{many}: {', '.join(request.choices)}"
    about = request.model_dump_json(include={"tool", "arguments", "reason"})
    return f"{request.type} {about}"


def _asked(event: InputRequest) -> str:
    return f"{event.sender} asks: {question_text(event)}"


_LINES: dict[type[Event], Callable[[Any], str]] = {
    TextMessage: lambda e: f"{e.sender}: {e.content}",
    ToolCall: lambda e: f"{e.sender} calls {e.function_name}({e.arguments})",
    ToolResult: lambda e: f"{e.function_name} -> {e.content}",
    Progress: lambda e: e.content,
    ErrorEvent: lambda e: f"error: {e.short}",
    InputReceived: lambda e: f"answer to {e.request_id}: {json.dumps(e.value)}",
    JobQueued: lambda e: "queued",
    WorkflowStarted: lambda e: f"started on {e.worker}",
    WorkflowCompleted: lambda e: f"completed: {json.dumps(e.result)}",
    WorkflowFailed: lambda e: f"failed ({e.reason}): {e.error}",
    WorkflowCancelled: lambda e: f"cancelled by {e.by}",
}


def describe(event: Event) -> str | None:
    """A one-line description of the event; None for stream chunks (their message follows)."""
    if event.type in INPUT_REQUEST_TYPES:
        return _asked(event)  # type: ignore[arg-type]
    line = _LINES.get(type(event))
    return line(event) if line is not None else None
