"""WebSocket frames that are not job events: what a client sends, and the server's replies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from agentjobs.protocol.events import _Frame
from agentjobs.protocol.utf8 import CheckedAnswer, Utf8Str

# Client -> server frames on the job WebSocket.


class InputFrame(_Frame):
    """Answer the pending request ``request_id`` with ``value``."""

    type: Literal["input"] = "input"
    request_id: Utf8Str
    value: CheckedAnswer


class CancelFrame(_Frame):
    """Cancel the job."""

    type: Literal["cancel"] = "cancel"


class PingFrame(_Frame):
    """Keep-alive; answered with a ``pong`` frame."""

    type: Literal["ping"] = "ping"


ClientFrame = Annotated[InputFrame | CancelFrame | PingFrame, Field(discriminator="type")]
CLIENT_FRAME_ADAPTER: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


# Server -> client frames that are not job events.


class ProtocolErrorFrame(_Frame):
    """A client frame was refused; the connection stays open."""

    type: Literal["protocol_error"] = "protocol_error"
    detail: str


class PongFrame(_Frame):
    """The answer to a ``ping`` frame."""

    type: Literal["pong"] = "pong"
