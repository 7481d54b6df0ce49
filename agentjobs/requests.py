"""What every human request shares: its assignees, its deadline and the default applied then."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from agentjobs.protocol import AnswerValue, InputRequest, MultipleChoice, ToolApproval

_USER_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")
"""The alphabet of user ids the API accepts (``backend.auth``): assignees are user ids."""

Assignee = str | Sequence[str] | None
"""Whose a request is: a user id, several, or None (the job's owner)."""


def assignee_list(assignee: Assignee) -> list[str]:
    """``assignee`` as the request's list of user ids; raises ``ValueError`` for a malformed id."""
    names = [assignee] if isinstance(assignee, str) else list(assignee or ())
    for name in names:
        if not _USER_ID.match(name):
            raise ValueError(f"assignee {name!r} is not a user id (1-128 of A-Z a-z 0-9 . _ @ + -)")
    return list(dict.fromkeys(names))


def deadline_after(timeout: float | None) -> datetime | None:
    """When a request asked now with ``timeout`` seconds times out (None: never)."""
    return datetime.now(UTC) + timedelta(seconds=timeout) if timeout else None


def default_value(request: InputRequest) -> AnswerValue | None:
    """The answer a request's deadline applies, as it is journaled (None: it fails the job)."""
    if isinstance(request, ToolApproval):
        return None if request.default is None else request.default.model_dump(exclude_none=True)
    if isinstance(request, MultipleChoice) and not request.single and request.default is not None:
        return [request.default]
    return request.default


def answer_text(value: AnswerValue) -> str:
    """An answer as one line of text (consoles and transcripts show it)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(value)
    decision = str(value.get("decision", "?"))
    if value.get("arguments") is not None:
        return f"{decision} with {value['arguments']}"
    return f"{decision}: {value['reason']}" if value.get("reason") else decision
