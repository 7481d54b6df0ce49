"""The journal's entry format: every outside result a workflow received, stored in order.

The API writes the human answers (in the answer script), the worker writes the rest (model
completions, tool results, clock and random values). Replay reads them back in order.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

EntryKind = Literal["answer", "model", "tool_started", "tool", "clock", "random"]


class JournalEntry(BaseModel):
    """One recorded result: what kind of call, a fingerprint of its request, and its value."""

    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    fp: str
    """Identifies the request (a request id, or a hash of a model call's messages and options),
    so replay can tell when the workflow took a different path."""
    value: Any = None


def answer_entry(request_id: str, value: Any) -> str:
    """The journal entry, as stored, for a human's answer to ``request_id``."""
    return JournalEntry(kind="answer", fp=request_id, value=value).model_dump_json()
