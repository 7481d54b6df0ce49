"""Reading a job's event log: pages of events with their cursors, bounded in count and bytes,
with the chunks of a message still being generated merged in, and the check for a trimmed
log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.protocol import TERMINAL_TYPES, cursor_key, event_json, just_before
from agentjobs.scripts.lua_script import LuaScript


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
    def from_live(cls, line: str) -> StoredEvent:
        """Parse one line of a live-channel message: ``'<type> {"id":"<cursor>",...}'``."""
        etype, _, full = line.partition(" ")
        return cls(id=full[7 : full.index('"', 7)], type=etype, json=full)

    @classmethod
    def all_from_live(cls, message: str) -> list[StoredEvent]:
        """The events of a live-channel message, in order: one a line (a worker's batch of
        back-to-back events is one message; ``scripts.emit_batch``)."""
        return [cls.from_live(line) for line in message.split("\n")]


READ_PAGE = LuaScript(
    "read_page",
    """
-- A page of a job's events after a cursor, bounded in entries and in bytes, and the log's first
-- entry (to tell a trimmed log), in one atomic step. The events are the log's merged by id
-- with the partial stream's (chunks of a message still being generated; their ids share the
-- log's id space, agentjobs/scripts/partial.py), so a page mid-stream ends with the preview.
-- KEYS: events, partial
-- ARGV: start ('-' or '(<cursor>'), count (0: no limit), max_bytes (0: no limit)
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1] or false
local count, max_bytes = tonumber(ARGV[2]), tonumber(ARGV[3])
local out, bytes = {}, 0
local function id_parts(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function before(a, b)
  local ams, aseq = id_parts(a)
  local bms, bseq = id_parts(b)
  return ams < bms or (ams == bms and aseq < bseq)
end
local sources = {
  {key = KEYS[1], start = ARGV[1], items = {}, pos = 1, done = false},
  {key = KEYS[2], start = ARGV[1], items = {}, pos = 1, done = false},
}
-- The source's next entry, read in small chunks, one more than still wanted: Redis never
-- builds a large reply here, and the extra entry tells whether more follow.
local function peek(src)
  if src.pos > #src.items then
    if src.done then return nil end
    local want = 32
    if count > 0 then want = math.min(want, count - #out + 1) end
    src.items = redis.call('XRANGE', src.key, src.start, '+', 'COUNT', want)
    src.pos = 1
    if #src.items < want then src.done = true end
  end
  return src.items[src.pos]
end
while true do
  local log_next, chunk_next = peek(sources[1]), peek(sources[2])
  if not log_next and not chunk_next then return {first, out, 0} end
  local src = sources[1]
  if not log_next or (chunk_next and before(chunk_next[1], log_next[1])) then
    src = sources[2]
  end
  local entry = src.items[src.pos]
  local size = 0
  for i = 2, #entry[2], 2 do size = size + #entry[2][i] end
  if (count > 0 and #out >= count) or (max_bytes > 0 and #out > 0 and bytes + size > max_bytes)
  then
    return {first, out, 1}
  end
  out[#out + 1] = entry
  bytes = bytes + size
  src.pos = src.pos + 1
  src.start = '(' .. entry[1]
end
""",
)


@dataclass(frozen=True)
class EventPage:
    """Events read from a log, oldest first, and whether more follow the last one."""

    events: list[StoredEvent]
    more: bool


async def read_page(
    redis: Redis, job_id: str, after: str, limit: int | None, max_bytes: int | None = None
) -> EventPage:
    """Events strictly after the cursor ``after`` (``"0"`` for all), oldest first: at most
    ``limit`` of them and, past the first, at most ``max_bytes`` of event JSON in all.

    The log's events come merged by cursor with the stream chunks of messages still being
    generated (kept apart from the log, ``agentjobs.scripts.partial``): a reader mid-stream
    sees the partial text, and once the message is logged its chunks are gone.

    A page bounded in bytes holds that much at most, however large the events (one event
    larger than the bound comes alone). Raises ``CursorTooOld`` when the log was trimmed past
    ``after``: the client would otherwise miss events without knowing.
    """
    start = "-" if after in ("", "0") else f"({after}"
    raw = await READ_PAGE.run(
        redis,
        keys=[keys.events(job_id), keys.partial(job_id)],
        args=[start, limit or 0, max_bytes or 0],
    )
    first, entries, more = raw
    if first:  # no entry at all: no log, nothing trimmed
        check_cursor(after or "0", {"first-entry": (first[0], _fields(first[1]))})
    events = stored_events((eid, _fields(flat)) for eid, flat in entries)
    return EventPage(events, more=bool(more))


def _fields(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


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
