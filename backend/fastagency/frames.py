"""The FastAgency wire models: its ten server frame types, the client's first frame, HTTP bodies.

FastAgency's client builds a message class from ``type`` and passes every key as a constructor
argument, so an extra key anywhere (or an unknown type) ends its run: every model here forbids
extra keys, and the ten frame types are the only ones defined. Facts: FASTAGENCY_WIRE.md.
"""

from __future__ import annotations

import uuid
from hashlib import sha1
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentjobs.protocol.utf8 import Utf8Json, Utf8Str

__all__ = [
    "FRAME_ADAPTER",
    "DiscoveredWorkflow",
    "ErrorContent",
    "ErrorFrame",
    "FastAgencyFrame",
    "FunctionCallExecutionContent",
    "FunctionCallExecutionFrame",
    "InitiateWorkflow",
    "InitiateWorkflowRequest",
    "InitiateWorkflowResponse",
    "KeepAliveContent",
    "KeepAliveFrame",
    "MultipleChoiceContent",
    "MultipleChoiceFrame",
    "SuggestedFunctionCallContent",
    "SuggestedFunctionCallFrame",
    "SystemMessageContent",
    "SystemMessageFrame",
    "TextInputContent",
    "TextInputFrame",
    "TextMessageContent",
    "TextMessageFrame",
    "WorkflowCompletedContent",
    "WorkflowCompletedFrame",
    "WorkflowStartedContent",
    "WorkflowStartedFrame",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Frame contents, one per type: exactly the keys FastAgency's message classes take.


class WorkflowStartedContent(_Strict):
    name: str
    description: str
    params: dict[str, Any]


class TextMessageContent(_Strict):
    body: str


class TextInputContent(_Strict):
    prompt: str
    suggestions: list[str]
    password: bool


class MultipleChoiceContent(_Strict):
    prompt: str
    choices: list[str]
    default: str | None
    single: bool


class SuggestedFunctionCallContent(_Strict):
    function_name: str
    call_id: str
    arguments: dict[str, Any]


class FunctionCallExecutionContent(_Strict):
    function_name: str
    call_id: str
    retval: Any


class SystemMessageContent(_Strict):
    message: dict[str, Any]
    """Free-form; FastAgency's UIs render ``heading`` and ``body`` when both are present."""


class ErrorContent(_Strict):
    short: str
    long: str


class WorkflowCompletedContent(_Strict):
    result: str | None
    """FastAgency types it as text: non-text workflow results are sent as JSON text."""


class KeepAliveContent(_Strict):
    pass


# Frames: the common envelope plus a literal type tag and its content.


def new_frame_uuid() -> str:
    """A random frame uuid, for a frame that shows no logged event (a keep-alive, a refusal)."""
    return uuid.uuid4().hex


class _FrameBase(_Strict):
    workflow_uuid: str
    """The job id (a hex UUID): the run's own routing, never the client's chosen UUID."""
    sender: str | None = None
    recipient: str | None = None
    auto_reply: bool = False
    uuid: str = Field(default_factory=new_frame_uuid)
    """Unique per message."""


class WorkflowStartedFrame(_FrameBase):
    type: Literal["workflow_started"] = "workflow_started"
    content: WorkflowStartedContent


class TextMessageFrame(_FrameBase):
    type: Literal["text_message"] = "text_message"
    content: TextMessageContent


class TextInputFrame(_FrameBase):
    type: Literal["text_input"] = "text_input"
    content: TextInputContent


class MultipleChoiceFrame(_FrameBase):
    type: Literal["multiple_choice"] = "multiple_choice"
    content: MultipleChoiceContent


class SuggestedFunctionCallFrame(_FrameBase):
    type: Literal["suggested_function_call"] = "suggested_function_call"
    content: SuggestedFunctionCallContent


class FunctionCallExecutionFrame(_FrameBase):
    type: Literal["function_call_execution"] = "function_call_execution"
    content: FunctionCallExecutionContent


class SystemMessageFrame(_FrameBase):
    type: Literal["system_message"] = "system_message"
    content: SystemMessageContent


class ErrorFrame(_FrameBase):
    type: Literal["error"] = "error"
    content: ErrorContent


class WorkflowCompletedFrame(_FrameBase):
    type: Literal["workflow_completed"] = "workflow_completed"
    content: WorkflowCompletedContent


class KeepAliveFrame(_FrameBase):
    type: Literal["keep_alive"] = "keep_alive"
    content: KeepAliveContent = Field(default_factory=KeepAliveContent)


FastAgencyFrame = Annotated[
    WorkflowStartedFrame
    | TextMessageFrame
    | TextInputFrame
    | MultipleChoiceFrame
    | SuggestedFunctionCallFrame
    | FunctionCallExecutionFrame
    | SystemMessageFrame
    | ErrorFrame
    | WorkflowCompletedFrame
    | KeepAliveFrame,
    Field(discriminator="type"),
]
FRAME_ADAPTER: TypeAdapter[FastAgencyFrame] = TypeAdapter(FastAgencyFrame)


# What the client sends.


class InitiateWorkflow(BaseModel):
    """The first frame on ``/fastagency/ws``: which workflow to run, with which params.

    Extra keys are ignored (a newer client may send more); ``user_id`` is informational only:
    the job belongs to the authenticated user (the client sends the string ``"None"``).
    """

    user_id: Utf8Str | None = None
    workflow_uuid: uuid.UUID
    name: Utf8Str
    params: Utf8Json = Field(default_factory=dict)


class InitiateWorkflowRequest(BaseModel):
    """Body of ``POST /fastagency/initiate_workflow``."""

    workflow_name: Utf8Str
    workflow_uuid: Utf8Str
    user_id: Utf8Str | None = None
    params: Utf8Json = Field(default_factory=dict)


class InitiateWorkflowResponse(_Strict):
    """Answer of ``POST /fastagency/initiate_workflow`` (the client ignores the UUID)."""

    user_id: str | None
    workflow_uuid: uuid.UUID
    name: str
    params: dict[str, Any]


class DiscoveredWorkflow(_Strict):
    """One entry of ``GET /fastagency/discovery``."""

    name: str
    description: str


_FRAME_IDS = uuid.UUID("5b0e3f0c-6a86-4a59-9f4e-0c1f8c7d2a11").bytes
"""Namespace of frame uuids: derived from the job and the event cursor, so a frame has the same
uuid however often it is sent (a client can drop a repeat)."""


def frame_uuid(job_id: str, cursor: str, number: int) -> str:
    """``uuid.uuid5(_FRAME_IDS, "<job>/<cursor>/<number>").hex``, a fifth of its cost: built
    from the SHA-1 bytes without a ``UUID`` object (one per frame sent)."""
    digest = bytearray(sha1(_FRAME_IDS + f"{job_id}/{cursor}/{number}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return digest.hex()
