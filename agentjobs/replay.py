"""Replay and record a job's outside results: the one place every nondeterministic value passes.

A run starts from the journal written by earlier attempts. While entries remain, each call takes
the next one (its kind and request fingerprint must match, or the run diverged); after that,
results are live and recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, Protocol

from agentjobs.journal import EntryKind, JournalEntry


class Nondeterministic(Exception):
    """The workflow asked for something other than what the journal recorded at this point."""


class JournalSink(Protocol):
    """Where new entries are written (Redis in a worker, memory in tests)."""

    async def record(self, entry: JournalEntry) -> None:
        """Append one entry, fenced to the worker that owns the job."""
        ...


class Journal:
    """A job's journal as one run sees it: recorded entries to replay, then live recording."""

    def __init__(self, entries: list[JournalEntry], sink: JournalSink) -> None:
        self._entries = list(entries)
        self._next = 0
        self._sink = sink
        self._unwritten: list[JournalEntry] = []
        self.diverged: Nondeterministic | None = None
        """Set when replay found a different call than recorded (kept even if code wraps it)."""

    @property
    def replaying(self) -> bool:
        """True while recorded entries remain to be replayed."""
        return self._next < len(self._entries)

    def take(self, kind: EntryKind, fp: str) -> JournalEntry | None:
        """The recorded result for this call, or None once the journal is exhausted."""
        if not self.replaying:
            return None
        entry = self._entries[self._next]
        if entry.kind != kind or entry.fp != fp:
            self.diverged = Nondeterministic(
                f"call {self._next + 1} of the run asked for {kind} {fp[:16]!r}, but the journal "
                f"recorded {entry.kind} {entry.fp[:16]!r}: the workflow took a different path"
            )
            raise self.diverged
        self._next += 1
        return entry

    async def record(self, kind: EntryKind, fp: str, value: Any) -> None:
        """Record a live result (this run is past the end of the journal)."""
        entry = JournalEntry(kind=kind, fp=fp, value=value)
        await self.flush()
        await self._sink.record(entry)
        self._entries.append(entry)
        self._next += 1

    def record_soon(self, kind: EntryKind, fp: str, value: Any) -> None:
        """Record a live result from synchronous code; written at the next ``flush``."""
        entry = JournalEntry(kind=kind, fp=fp, value=value)
        self._unwritten.append(entry)
        self._entries.append(entry)
        self._next += 1

    async def flush(self) -> None:
        """Write the entries ``record_soon`` took, keeping the journal's order."""
        while self._unwritten:
            await self._sink.record(self._unwritten[0])
            self._unwritten.pop(0)

    def value(self, kind: EntryKind, make: Callable[[], Any]) -> Any:
        """The recorded value of this call, or a new one from ``make`` (recorded soon)."""
        recorded = self.take(kind, kind)
        if recorded is not None:
            return recorded.value
        made = make()
        self.record_soon(kind, kind, made)
        return made

    def patched(self, change_id: str) -> bool:
        """Whether this point of the run takes the new path of the change ``change_id``.

        Live (past the recorded journal) it does, and a marker is recorded so that replays of
        this run take it too. While replaying it does only if the journal has the marker here:
        a journal recorded before the change goes on down the old path, undisturbed.
        """
        if not self.replaying:
            self.record_soon("patch", change_id, None)
            return True
        entry = self._entries[self._next]
        if entry.kind != "patch" or entry.fp != change_id:
            return False
        self._next += 1
        return True

    def note_external(self, kind: EntryKind, fp: str, value: Any) -> None:
        """Account for an entry someone else wrote (the API journals human answers)."""
        self._entries.append(JournalEntry(kind=kind, fp=fp, value=value))
        self._next += 1


def fingerprint(*parts: Any) -> str:
    """A stable hash of a call's request (JSON-serialisable parts)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
