"""The journal's entry format: every outside result a workflow received, stored in order.

The API writes the human answers (in the answer script), the worker writes the rest (model
completions, tool results, clock and random values). Replay reads them back in order.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

from agentjobs.secrets import seal

EntryKind = Literal["answer", "model", "tool_started", "tool", "clock", "random", "patch"]
"""``patch``: a marker that a run took the new path of a ``JobUI.patched`` change."""


class JournalEntry(BaseModel):
    """One recorded result: what kind of call, a fingerprint of its request, and its value."""

    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    fp: str
    """Identifies the request (a request id, or a hash of a model call's messages and options),
    so replay can tell when the workflow took a different path."""
    value: Any = None


def answer_entry(
    request_id: str, value: Any, *, secret: bool = False, key: SecretStr | None = None
) -> str:
    """The journal entry, as stored, for a human's answer to ``request_id``.

    A ``secret`` answer (to a password input) is sealed with ``key``, or withheld without one
    (``agentjobs.secrets``): it never reaches Redis in clear.
    """
    stored = seal(value, key) if secret else value
    return JournalEntry(kind="answer", fp=request_id, value=stored).model_dump_json()
