"""Job events: the one discriminated union every process writes, stores, relays and parses."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (every timestamp on the wire is)."""
    return datetime.now(UTC)


class JobStatus(StrEnum):
    """Where a job is in its life: queued -> running <-> awaiting_input -> a terminal status."""

    QUEUED = "queued"
    """Accepted and on the Celery queue; no worker has taken it yet."""
    RUNNING = "running"
    """A worker is running the workflow."""
    AWAITING_INPUT = "awaiting_input"
    """The workflow waits for a human answer (the pending request is on the record)."""
    SUCCEEDED = "succeeded"
    """Terminal: the workflow returned a result."""
    FAILED = "failed"
    """Terminal: the workflow raised, timed out, or its worker was lost."""
    CANCELLED = "cancelled"
    """Terminal: cancelled by a client."""

    @property
    def is_terminal(self) -> bool:
        """True for the three statuses a job never leaves."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


FailureReason = Literal[
    "exception",
    "worker_lost",
    "timeout",
    "input_timeout",
    "shutdown",
    "nondeterministic",
    "invalid_params",
    "unknown_workflow",
    "budget_exceeded",
]
AnswerValue = str | list[str] | dict[str, Any]
"""A text, one choice, several choices, or a tool-approval decision (``ApprovalDecision``)."""
AnswerSource = Literal["human", "deadline"]
"""Who gave an answer: a person, or the request's deadline (its default was applied)."""


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _EventBase(_Frame):
    id: str = ""
    """The event's cursor (its Redis Stream entry id); empty until the event is appended."""
    job_id: str
    ts: datetime = Field(default_factory=utcnow)


class JobQueued(_EventBase):
    """Accepted, waiting for a worker."""

    type: Literal["job_queued"] = "job_queued"
    workflow: str
    params: dict[str, Any] = Field(default_factory=dict)


class WorkflowStarted(_EventBase):
    """A worker began running the workflow."""

    type: Literal["workflow_started"] = "workflow_started"
    workflow: str
    worker: str


class TextMessage(_EventBase):
    """An agent or the workflow said something."""

    type: Literal["text_message"] = "text_message"
    sender: str
    recipient: str | None = None
    content: str


class StreamChunk(_EventBase):
    """A partial token chunk of a message still being generated."""

    type: Literal["stream_chunk"] = "stream_chunk"
    sender: str
    content: str


class _RequestBase(_EventBase):
    """What every request a human answers carries: its id, who asks, whose it is, its deadline."""

    request_id: str
    sender: str = "workflow"
    assignee: list[str] = Field(default_factory=list)
    """The users whose request it is (they may read the job and answer it); empty: the job's
    owner's."""
    deadline: datetime | None = None
    """When the request times out: its ``default`` is applied then, or the job fails."""


class TextInput(_RequestBase):
    """The workflow waits for a typed answer."""

    type: Literal["text_input"] = "text_input"
    prompt: str
    suggestions: list[str] = Field(default_factory=list)
    password: bool = False
    default: str | None = None
    """The answer applied at the deadline."""


class MultipleChoice(_RequestBase):
    """The workflow waits for a choice among ``choices`` (several when ``single`` is false)."""

    type: Literal["multiple_choice"] = "multiple_choice"
    prompt: str
    choices: list[str]
    default: str | None = None
    """The choice offered first, and the answer applied at the deadline."""
    single: bool = True


class ApprovalDecision(_Frame):
    """The answer to a ``tool_approval``: approve, reject (with a reason), or edit the arguments."""

    decision: Literal["approve", "reject", "edit"]
    reason: str | None = None
    """Why it was rejected (passed to the agent)."""
    arguments: dict[str, Any] | None = None
    """The arguments to run the tool with instead (``edit`` only)."""


class ToolApproval(_RequestBase):
    """The workflow waits for a human to approve, reject or edit a tool call before it runs."""

    type: Literal["tool_approval"] = "tool_approval"
    tool: str
    arguments: dict[str, Any]
    arguments_schema: dict[str, Any] = Field(default_factory=dict)
    """JSON Schema of the tool's arguments: edited ones must fit it."""
    reason: str | None = None
    """Why the workflow asks (shown with the arguments)."""
    default: ApprovalDecision | None = None
    """The decision applied at the deadline."""

    @property
    def prompt(self) -> str:
        """One line saying what is asked (consoles and chat front ends show it)."""
        why = f" ({self.reason})" if self.reason else ""
        return f"Allow {self.sender} to run {self.tool}{why}?"


class InputReceived(_EventBase):
    """The awaited answer arrived (every watcher sees it)."""

    type: Literal["input_received"] = "input_received"
    request_id: str
    value: AnswerValue
    by: str | None = None
    """The user who answered (None in logs written before this field existed)."""
    source: AnswerSource = "human"
    """``deadline``: nobody answered in time and the request's default was applied."""


class ToolCall(_EventBase):
    """An agent asked to call a tool."""

    type: Literal["tool_call"] = "tool_call"
    sender: str
    call_id: str
    function_name: str
    arguments: str


class ToolResult(_EventBase):
    """The result of a tool call."""

    type: Literal["tool_result"] = "tool_result"
    sender: str
    call_id: str
    function_name: str
    content: str
    is_error: bool = False


class Progress(_EventBase):
    """The workflow's own progress report."""

    type: Literal["progress"] = "progress"
    content: str
    fraction: float | None = Field(default=None, ge=0.0, le=1.0)


class ErrorEvent(_EventBase):
    """Something went wrong; the job may continue or fail."""

    type: Literal["error"] = "error"
    short: str
    long: str = ""


class WorkflowCompleted(_EventBase):
    """Terminal: the workflow returned ``result``."""

    type: Literal["workflow_completed"] = "workflow_completed"
    result: Any = None


class WorkflowFailed(_EventBase):
    """Terminal: the workflow failed for ``reason``."""

    type: Literal["workflow_failed"] = "workflow_failed"
    error: str
    reason: FailureReason = "exception"


class WorkflowCancelled(_EventBase):
    """Terminal: the job was cancelled."""

    type: Literal["workflow_cancelled"] = "workflow_cancelled"
    by: str = "user"


Event = Annotated[
    JobQueued
    | WorkflowStarted
    | TextMessage
    | StreamChunk
    | TextInput
    | MultipleChoice
    | ToolApproval
    | InputReceived
    | ToolCall
    | ToolResult
    | Progress
    | ErrorEvent
    | WorkflowCompleted
    | WorkflowFailed
    | WorkflowCancelled,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
InputRequest = TextInput | MultipleChoice | ToolApproval
INPUT_REQUEST_TYPES = frozenset({"text_input", "multiple_choice", "tool_approval"})
TERMINAL_TYPES = frozenset({"workflow_completed", "workflow_failed", "workflow_cancelled"})


def event_json(cursor: str, body: str) -> str:
    """Splice a cursor into an event body stored without one (``{"job_id":...}``).

    Events are stored and published without their id (Redis assigns it on append); splicing
    the id in as text avoids a parse and re-serialisation per event per watcher.
    """
    return '{"id":"' + cursor + '",' + body[1:]
