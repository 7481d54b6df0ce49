"""The chat transcript as the page shows it, and how each protocol event folds into it.

Pure data and functions (no Mesop, no I/O), so the fold is unit-tested on its own. The
transcript lives in Mesop state, which travels to the browser on every event: it keeps the
job's cursor, the pending question and at most ``MAX_ITEMS`` items, each capped in size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentjobs.protocol import (
    ErrorEvent,
    Event,
    InputReceived,
    JobQueued,
    MultipleChoice,
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
    WorkflowStarted,
    is_after,
)
from agentjobs.protocol import is_terminal_status as is_terminal_status  # the page's callers
from agentjobs.requests import answer_text

MAX_ITEMS = 200
"""Items kept in the page; older ones are dropped (the API keeps the whole log)."""
MAX_TEXT = 8_000
"""Characters kept per item: state is sent to the browser on every event."""

FAILURE_TEXT = {
    "exception": "the workflow raised an error",
    "worker_lost": "the worker running it was lost",
    "timeout": "it ran out of time",
    "input_timeout": "nobody answered in time",
    "invalid_params": "its parameters were invalid",
    "unknown_workflow": "no worker knows this workflow",
}


@dataclass
class Item:
    """One line of the transcript."""

    id: str = ""
    """The event's cursor; a stream's first chunk cursor while it is still streaming."""
    kind: str = ""
    """message, stream, question, answer, tool_call, tool_result, progress, error, status, final."""
    sender: str = ""
    text: str = ""
    detail: str = ""
    """Tool arguments or result, an error's long text, a question's choices."""
    tone: str = ""
    """For final items the terminal status; ``error`` for a failed tool result."""
    fraction: float = -1.0
    """A progress item's fraction, or -1 when it has none."""


@dataclass
class Pending:
    """The question the workflow waits on; ``request_id`` is empty when there is none."""

    request_id: str = ""
    kind: str = ""
    """text_input, multiple_choice or tool_approval."""
    prompt: str = ""
    sender: str = ""
    suggestions: list[str] = field(default_factory=list)
    password: bool = False
    choices: list[str] = field(default_factory=list)
    default: str = ""
    single: bool = True
    tool: str = ""
    arguments: str = ""
    """A tool approval's arguments, as JSON text (what an edit starts from)."""


@dataclass
class Transcript:
    """What the page knows about the attached job."""

    job_id: str = ""
    workflow: str = ""
    cursor: str = "0"
    """The last event folded in: the page resumes reading after it."""
    status: str = ""
    items: list[Item] = field(default_factory=list)
    dropped: int = 0
    """How many old items were dropped to keep the page small."""
    pending: Pending = field(default_factory=Pending)
    progress: float = -1.0
    """The latest progress fraction, or -1."""
    usage: str = ""
    """The job's model use in one line, once known (read from its record)."""


def fold(transcript: Transcript, events: Iterable[Event]) -> int:
    """Fold events into the transcript in order, skipping any at or before its cursor.

    Returns how many events were new. Skipping by cursor is what makes re-reading a page
    of the log (after a reconnect, a reload or a retry) harmless: nothing is shown twice.
    """
    new = 0
    for event in events:
        if event.id and not is_after(event.id, transcript.cursor):
            continue
        _apply(transcript, event)
        if event.id:
            transcript.cursor = event.id
        new += 1
    if len(transcript.items) > MAX_ITEMS:
        extra = len(transcript.items) - MAX_ITEMS
        del transcript.items[:extra]
        transcript.dropped += extra
    return new


def _apply(t: Transcript, event: Event) -> None:
    match event:
        case TextMessage() | StreamChunk():
            _apply_text(t, event)
        case TextInput() | MultipleChoice() | ToolApproval():
            _apply_question(t, event)
        case InputReceived():
            _apply_answer(t, event)
        case ToolCall() | ToolResult():
            _apply_tool(t, event)
        case Progress():
            t.progress = event.fraction if event.fraction is not None else t.progress
            frac = event.fraction if event.fraction is not None else -1.0
            _add(t, Item(event.id, "progress", text=event.content, fraction=frac))
        case ErrorEvent():
            _add(t, Item(event.id, "error", text=event.short, detail=event.long))
        case WorkflowCompleted() | WorkflowFailed() | WorkflowCancelled():
            _apply_final(t, event)
        case JobQueued():
            t.workflow = event.workflow
            t.status = t.status or "queued"
            _add(t, Item(event.id, "status", text=f"Queued {event.workflow}"))
        case WorkflowStarted():
            t.status = "running" if not is_terminal_status(t.status) else t.status
            _add(t, Item(event.id, "status", text="A worker started the job"))


def _apply_text(t: Transcript, event: TextMessage | StreamChunk) -> None:
    streaming = _open_stream(t, event.sender)
    if isinstance(event, StreamChunk):
        if streaming is None:
            _add(t, Item(event.id, "stream", sender=event.sender, text=event.content))
        else:
            streaming.text = _cap(streaming.text + event.content)
        return
    # The final message replaces the chunks that previewed it, in the same place.
    message = Item(event.id, "message", sender=event.sender, text=_cap(event.content))
    if streaming is None:
        t.items.append(message)
    else:
        t.items[t.items.index(streaming)] = message


def _open_stream(t: Transcript, sender: str) -> Item | None:
    for item in reversed(t.items):
        if item.kind == "stream" and item.sender == sender:
            return item
    return None


def _apply_question(t: Transcript, event: TextInput | MultipleChoice | ToolApproval) -> None:
    detail = ""
    if isinstance(event, ToolApproval):
        detail = json.dumps(event.arguments)
        pending = Pending(
            event.request_id, "tool_approval", event.prompt, event.sender, tool=event.tool
        )
        pending.arguments = detail
    elif isinstance(event, TextInput):
        pending = Pending(
            event.request_id,
            "text_input",
            event.prompt,
            event.sender,
            suggestions=list(event.suggestions),
            password=event.password,
        )
    else:
        pending = Pending(
            event.request_id,
            "multiple_choice",
            event.prompt,
            event.sender,
            choices=list(event.choices),
            default=event.default or "",
            single=event.single,
        )
    t.pending = pending
    if not is_terminal_status(t.status):
        t.status = "awaiting_input"
    _add(t, Item(event.id, "question", sender=event.sender, text=event.prompt, detail=detail))


def _apply_answer(t: Transcript, event: InputReceived) -> None:
    masked = t.pending.request_id == event.request_id and t.pending.password
    if t.pending.request_id == event.request_id:
        t.pending = Pending()
    if not is_terminal_status(t.status):
        t.status = "running"
    value = answer_text(event.value)
    who = "Deadline" if event.source == "deadline" else event.by or "You"
    _add(t, Item(event.id, "answer", sender=who, text="••••••" if masked else value))


def _apply_tool(t: Transcript, event: ToolCall | ToolResult) -> None:
    if isinstance(event, ToolCall):
        item = Item(event.id, "tool_call", event.sender, event.function_name, event.arguments)
    else:
        tone = "error" if event.is_error else ""
        item = Item(event.id, "tool_result", event.sender, event.function_name, event.content, tone)
    _add(t, item)


def _apply_final(
    t: Transcript, event: WorkflowCompleted | WorkflowFailed | WorkflowCancelled
) -> None:
    t.pending = Pending()
    # Chunks of a message that never got its final text stay, but stop looking live.
    for item in t.items:
        if item.kind == "stream":
            item.kind = "message"
    if isinstance(event, WorkflowCompleted):
        t.status = "succeeded"
        _add(t, Item(event.id, "final", text=result_text(event.result), tone="succeeded"))
    elif isinstance(event, WorkflowFailed):
        t.status = "failed"
        why = FAILURE_TEXT.get(event.reason, event.reason)
        _add(t, Item(event.id, "final", text=f"Failed: {why}", detail=event.error, tone="failed"))
    else:
        t.status = "cancelled"
        _add(t, Item(event.id, "final", text=f"Cancelled by {event.by}", tone="cancelled"))
    t.progress = -1.0


def result_text(result: Any) -> str:
    """A job's result as text: strings as they are, anything else as indented JSON."""
    if result is None:
        return "Done."
    if isinstance(result, str):
        return _cap(result)
    return _cap(json.dumps(result, indent=2, ensure_ascii=False, default=str))


def _add(t: Transcript, item: Item) -> None:
    item.text = _cap(item.text)
    item.detail = _cap(item.detail)
    t.items.append(item)


def _cap(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + " …(cut)"
