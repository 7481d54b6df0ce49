"""The inbox's HTTP bodies: the requests waiting for one user, across their jobs and others'."""

from __future__ import annotations

from datetime import datetime

from agentjobs.protocol.events import InputRequest, _Frame
from agentjobs.protocol.utf8 import CheckedAnswer


class InboxItem(_Frame):
    """One pending request the caller may answer."""

    job_id: str
    workflow: str
    owner: str
    """The user who started the job (the caller, unless the request is assigned to them)."""
    request: InputRequest
    """The request event, as the job's log has it."""
    asked_at: datetime
    deadline: datetime | None = None
    """When the request times out (its default applies then, or the job fails)."""


class Inbox(_Frame):
    """Answer of ``GET /inbox``: the caller's pending requests, oldest first."""

    items: list[InboxItem]
    count: int
    """How many requests wait for the caller (all of them, even past ``limit``)."""


class InboxAnswer(_Frame):
    """Body of ``POST /inbox/{request_id}``."""

    value: CheckedAnswer
