"""Reading a job's event log: events with their cursors, and the check for a trimmed log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from agentjobs import keys
from agentjobs.protocol import TERMINAL_TYPES, cursor_key, event_json, just_before


class CursorTooOld(Exception):
    """Events right after the cursor were trimmed from the log: reading on would skip them."""

    def __init__(self, cursor: str, resume_after: str) -> None:
        super().__init__(f"cursor {cursor} is older than the oldest event kept")
        self.cursor = cursor
        self.resume_after = resume_after
        """The oldest cursor that still reads on without a gap (what is left of the log)."""


@dataclass(frozen=True)
class StoredEvent:
    """One event as read from the log or the live channel: cursor, type, JSON text (id included)."""

    id: str
    type: str
    json: str

    @property
    def is_terminal(self) -> bool:
        """True for the event that ends the job."""
        return self.type in TERMINAL_TYPES

    @classmethod
    def from_live(cls, message: str) -> StoredEvent:
        """Parse a live-channel message: ``'<type> {"id":"<cursor>",...}'``."""
        etype, _, full = message.partition(" ")
        return cls(id=full[7 : full.index('"', 7)], type=etype, json=full)


async def read_events(
    redis: Redis, job_id: str, after: str, limit: int | None
) -> list[StoredEvent]:
    """Events strictly after the cursor ``after`` (``"0"`` for all), oldest first.

    Raises ``CursorTooOld`` when the log was trimmed past ``after``: the client would
    otherwise miss events without knowing.
    """
    start = "-" if after in ("", "0") else f"({after}"
    # One transaction: the trim point read is the one that applies to these entries.
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xrange(keys.events(job_id), min=start, count=limit)
        pipe.xinfo_stream(keys.events(job_id))
        entries, info = await pipe.execute(raise_on_error=False)
    if isinstance(entries, Exception):
        raise entries
    if not isinstance(info, ResponseError):  # an error here: no log at all, nothing trimmed
        check_cursor(after or "0", cast(dict[str, Any], info))
    return stored_events(cast(list[tuple[str, dict[str, str]]], entries))


def check_cursor(after: str, info: dict[str, Any]) -> None:
    """Raise ``CursorTooOld`` when entries after ``after`` were trimmed from the log.

    ``info`` is the log's ``XINFO STREAM``. ``job_queued`` is every log's first event, so a log
    starting with anything else was trimmed, and every trimmed entry came before the first one
    kept. A cursor from just below that entry reads on without a gap; an older one is refused.
    (Redis does not record where a ``MAXLEN`` trim stopped, so a cursor at exactly the last
    trimmed entry is refused too: one event early, never let through with a gap.)
    """
    first = info.get("first-entry")
    if not first or first[1].get("t") == "job_queued":
        return
    # The id just below the first kept one (sequence numbers never reach 19 digits).
    resume_after = just_before(first[0])
    if cursor_key(after) < cursor_key(resume_after):
        raise CursorTooOld(after, resume_after)


def stored_events(entries: Iterable[tuple[str, dict[str, str]]]) -> list[StoredEvent]:
    """Turn XRANGE/XREAD entries into events with their cursor spliced in."""
    return [
        StoredEvent(id=eid, type=fields["t"], json=event_json(eid, fields["e"]))
        for eid, fields in entries
    ]
